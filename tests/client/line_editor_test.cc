#include "client/line_editor.h"

#include <gtest/gtest.h>

#include <clocale>

namespace chat::client {
namespace {

TEST(LineEditorTest, InsertsAndMovesByCharacterNotByte) {
  LineEditor e;
  e.insert_text("日本🎉");
  EXPECT_EQ(e.cursor(), 3u);
  e.left();
  e.insert(U'é');
  EXPECT_EQ(e.text(), "日本é🎉");
  e.backspace();
  e.backspace();
  EXPECT_EQ(e.text(), "日🎉");
  e.home();
  e.delete_forward();
  EXPECT_EQ(e.text(), "🎉");
  e.end();
  e.right();  // at the end: stays
  EXPECT_EQ(e.cursor(), 1u);
}

TEST(LineEditorTest, KillsAndWordDelete) {
  LineEditor e;
  e.insert_text("hello big world");
  e.delete_word_back();
  EXPECT_EQ(e.text(), "hello big ");
  e.delete_word_back();
  EXPECT_EQ(e.text(), "hello ");
  e.home();
  e.right();
  e.kill_to_end();
  EXPECT_EQ(e.text(), "h");
  e.insert_text("ey");
  e.left();
  e.kill_to_start();
  EXPECT_EQ(e.text(), "y");
  EXPECT_EQ(e.cursor(), 0u);
}

TEST(LineEditorTest, HistoryKeepsTheDraft) {
  LineEditor e;
  e.insert_text("first");
  EXPECT_EQ(e.submit(), "first");
  e.insert_text("second");
  e.submit();
  e.insert_text("draft");
  e.history_prev();
  EXPECT_EQ(e.text(), "second");
  e.history_prev();
  EXPECT_EQ(e.text(), "first");
  e.history_prev();  // oldest: stays
  EXPECT_EQ(e.text(), "first");
  e.history_next();
  e.history_next();
  EXPECT_EQ(e.text(), "draft");
  EXPECT_TRUE(e.submit() == "draft");
  EXPECT_TRUE(e.empty());
}

TEST(LineEditorTest, BlankLinesStayOutOfHistory) {
  LineEditor e;
  e.insert_text("   ");
  e.submit();
  e.history_prev();
  EXPECT_TRUE(e.empty());
}

TEST(LineEditorTest, ViewScrollsToKeepTheCursorVisible) {
  if (std::setlocale(LC_CTYPE, "C.UTF-8") == nullptr) GTEST_SKIP() << "no C.UTF-8 locale";
  LineEditor e;
  e.insert_text("0123456789abcdef");
  LineEditor::View v = e.view(10);
  EXPECT_EQ(v.cursor_col, 9);
  EXPECT_EQ(v.text, "789abcdef");
  e.home();
  v = e.view(10);
  EXPECT_EQ(v.cursor_col, 0);
  EXPECT_EQ(v.text, "0123456789");
  LineEditor wide;
  wide.insert_text("日本語日本語");
  v = wide.view(7);
  EXPECT_LE(v.cursor_col, 6);
  EXPECT_EQ(v.cursor_col, 6);  // three wide characters, then the cursor
  std::setlocale(LC_CTYPE, "C");
}

TEST(LineEditorTest, LengthIsBounded) {
  LineEditor e;
  for (size_t i = 0; i < LineEditor::kMaxChars + 10; ++i) e.insert(U'x');
  EXPECT_EQ(e.cursor(), LineEditor::kMaxChars);
}

}  // namespace
}  // namespace chat::client
