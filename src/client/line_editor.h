// The input line of the terminal UI: editing by character (code point, so
// accents, CJK and emoji move and delete as one), a cursor, horizontal
// scrolling for lines wider than the screen, and a history of sent lines.
// Pure; no terminal I/O.
//
// Thread: single-threaded; owned by the UI.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace chat::client {

class LineEditor {
 public:
  static constexpr size_t kMaxHistory = 500;
  static constexpr size_t kMaxChars = 16'384;  // further typing is ignored

  void insert(char32_t c);
  void insert_text(const std::string& utf8);
  void backspace();       // deletes before the cursor
  void delete_forward();  // deletes at the cursor
  void left();
  void right();
  void home();
  void end();
  void kill_to_start();     // Ctrl-U
  void kill_to_end();       // Ctrl-K
  void delete_word_back();  // Ctrl-W
  void history_prev();      // Up: older sent line (the draft is kept)
  void history_next();      // Down: newer, then back to the draft

  // Returns the line (UTF-8) and clears it; a non-blank line joins the history.
  std::string submit();

  std::string text() const;
  size_t cursor() const { return cursor_; }  // in characters
  bool empty() const { return line_.empty(); }

  struct View {
    std::string text;    // what fits in the columns, UTF-8
    int cursor_col = 0;  // where the cursor is, within those columns
  };
  // The part of the line to draw in `columns` columns, scrolled so that the
  // cursor shows. Remembers the scroll position between calls.
  View view(int columns);

 private:
  void load(const std::u32string& line);

  std::u32string line_;
  size_t cursor_ = 0;
  size_t scroll_ = 0;  // first character shown
  std::vector<std::u32string> history_;
  size_t history_pos_ = 0;  // == history_.size(): editing the draft
  std::u32string draft_;
};

}  // namespace chat::client
