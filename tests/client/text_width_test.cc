#include "client/text_width.h"

#include <gtest/gtest.h>

#include <clocale>

namespace chat::client {
namespace {

class TextWidthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::setlocale(LC_CTYPE, "C.UTF-8") == nullptr) GTEST_SKIP() << "no C.UTF-8 locale";
  }
  void TearDown() override { std::setlocale(LC_CTYPE, "C"); }
};

TEST_F(TextWidthTest, DecodesAndEncodesUtf8) {
  const std::string s = "aé日🎉";
  std::u32string d = utf8_decode(s);
  EXPECT_EQ(d, (std::u32string{U'a', U'é', U'日', U'🎉'}));
  EXPECT_EQ(utf8_encode(d), s);
}

TEST_F(TextWidthTest, BadBytesBecomeReplacementCharacters) {
  EXPECT_EQ(utf8_decode("a\xff"
                        "b"),
            (std::u32string{U'a', U'\uFFFD', U'b'}));
  EXPECT_EQ(utf8_decode("\xe6\x97"), (std::u32string{U'\uFFFD', U'\uFFFD'}));  // cut short
  EXPECT_EQ(utf8_decode("\xc0\x80"), (std::u32string{U'\uFFFD', U'\uFFFD'}));  // overlong
}

TEST_F(TextWidthTest, WideCharactersTakeTwoColumns) {
  EXPECT_EQ(text_columns(std::string_view("abc")), 3);
  EXPECT_EQ(text_columns(std::string_view("café")), 4);
  EXPECT_EQ(text_columns(std::string_view("日本")), 4);
  EXPECT_EQ(text_columns(std::string_view("🎉")), 2);
  EXPECT_EQ(text_columns(std::string_view("e\xcc\x81")), 1);  // e + combining acute
}

TEST_F(TextWidthTest, FitNeverSplitsAWideCharacter) {
  EXPECT_EQ(fit_columns("日本語", 5), "日本");
  EXPECT_EQ(fit_columns("日本語", 6), "日本語");
  EXPECT_EQ(fit_columns("abc", 0), "");
}

TEST_F(TextWidthTest, WrapsAtSpacesWithinWidth) {
  auto lines = wrap_columns("the quick brown fox jumps", 10);
  for (const auto& l : lines) EXPECT_LE(text_columns(std::string_view(l)), 10) << l;
  EXPECT_EQ(lines.front(), "the quick");
  std::string joined;
  for (const auto& l : lines) joined += l + " ";
  EXPECT_EQ(joined, "the quick brown fox jumps ");
}

TEST_F(TextWidthTest, WrapsLongWordsAndWideText) {
  auto lines = wrap_columns("日本語日本語日本語", 5);
  for (const auto& l : lines) EXPECT_LE(text_columns(std::string_view(l)), 5);
  EXPECT_EQ(lines.size(), 5u);  // two per line, nine in all
  EXPECT_EQ(wrap_columns("", 10).size(), 1u);
}

TEST_F(TextWidthTest, SanitizeRemovesTerminalControls) {
  EXPECT_EQ(sanitize("a\x1b[2Jb\tc"), "a\uFFFD[2Jb c");
  EXPECT_EQ(sanitize("\xc2\x9b"
                     "x"),
            "\uFFFDx");  // C1 CSI
}

}  // namespace
}  // namespace chat::client
