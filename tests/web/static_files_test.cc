#include "web/static_files.h"

#include <gtest/gtest.h>

namespace chat::web {
namespace {

const unsigned char kIndex[] = {'<', 'p', '>'};
const unsigned char kApp[] = {'x', '=', '1'};
const EmbeddedFile kFiles[] = {{"/index.html", kIndex, sizeof kIndex},
                               {"/js/app.js", kApp, sizeof kApp}};

TEST(StaticFiles, ContentTypeByExtension) {
  EXPECT_EQ(content_type_for("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/a/b.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("/style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("/img/x.png"), "image/png");
  EXPECT_EQ(content_type_for("/icon.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("/README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/dir.d/file"), "application/octet-stream");
}

TEST(StaticFiles, RootIsIndexAndFilesAreFoundByPath) {
  auto root = find_static_file("/", kFiles, 2);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->body, "<p>");
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  auto app = find_static_file("/js/app.js", kFiles, 2);
  ASSERT_TRUE(app.has_value());
  EXPECT_EQ(app->body, "x=1");
  EXPECT_FALSE(find_static_file("/js/", kFiles, 2).has_value());
  EXPECT_FALSE(find_static_file("/missing.js", kFiles, 2).has_value());
  EXPECT_FALSE(find_static_file("/../etc/passwd", kFiles, 2).has_value());
  EXPECT_FALSE(find_static_file("js/app.js", kFiles, 2).has_value());
}

TEST(StaticFiles, WithoutIndexThereIsAPlaceholderPage) {
  auto root = find_static_file("/", kFiles + 1, 1);
  ASSERT_TRUE(root.has_value());
  EXPECT_NE(root->body.find("chatd"), std::string_view::npos);
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(find_static_file("/other.html", nullptr, 0).has_value());
  EXPECT_TRUE(find_static_file("/", nullptr, 0).has_value());
}

TEST(StaticFiles, TheBinaryServesAnIndex) {
  // Whatever web/ holds (or the placeholder when it is empty).
  auto root = find_static_file("/");
  ASSERT_TRUE(root.has_value());
  EXPECT_FALSE(root->body.empty());
}

}  // namespace
}  // namespace chat::web
