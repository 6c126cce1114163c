#include "client/line_editor.h"

#include "client/text_width.h"

namespace chat::client {

void LineEditor::insert(char32_t c) {
  if (line_.size() >= kMaxChars) return;
  line_.insert(line_.begin() + static_cast<std::ptrdiff_t>(cursor_), c);
  ++cursor_;
}

void LineEditor::insert_text(const std::string& utf8) {
  for (char32_t c : utf8_decode(utf8)) insert(c);
}

void LineEditor::backspace() {
  if (cursor_ == 0) return;
  --cursor_;
  line_.erase(cursor_, 1);
}

void LineEditor::delete_forward() {
  if (cursor_ < line_.size()) line_.erase(cursor_, 1);
}

void LineEditor::left() {
  if (cursor_ > 0) --cursor_;
}
void LineEditor::right() {
  if (cursor_ < line_.size()) ++cursor_;
}
void LineEditor::home() { cursor_ = 0; }
void LineEditor::end() { cursor_ = line_.size(); }

void LineEditor::kill_to_start() {
  line_.erase(0, cursor_);
  cursor_ = 0;
}

void LineEditor::kill_to_end() { line_.erase(cursor_); }

void LineEditor::delete_word_back() {
  size_t start = cursor_;
  while (start > 0 && line_[start - 1] == U' ') --start;
  while (start > 0 && line_[start - 1] != U' ') --start;
  line_.erase(start, cursor_ - start);
  cursor_ = start;
}

void LineEditor::load(const std::u32string& line) {
  line_ = line;
  cursor_ = line_.size();
}

void LineEditor::history_prev() {
  if (history_pos_ == 0) return;
  if (history_pos_ == history_.size()) draft_ = line_;
  --history_pos_;
  load(history_[history_pos_]);
}

void LineEditor::history_next() {
  if (history_pos_ >= history_.size()) return;
  ++history_pos_;
  load(history_pos_ == history_.size() ? draft_ : history_[history_pos_]);
}

std::string LineEditor::submit() {
  std::string out = utf8_encode(line_);
  if (line_.find_first_not_of(U' ') != std::u32string::npos &&
      (history_.empty() || history_.back() != line_)) {
    history_.push_back(line_);
    if (history_.size() > kMaxHistory) history_.erase(history_.begin());
  }
  history_pos_ = history_.size();
  draft_.clear();
  line_.clear();
  cursor_ = 0;
  scroll_ = 0;
  return out;
}

std::string LineEditor::text() const { return utf8_encode(line_); }

LineEditor::View LineEditor::view(int columns) {
  if (columns < 1) return View{};
  if (scroll_ > cursor_) scroll_ = cursor_;
  // Scroll right until the cursor (and one cell for it) fits.
  auto width_between = [&](size_t from, size_t to) {
    return text_columns(std::u32string_view(line_).substr(from, to - from));
  };
  while (scroll_ < cursor_ && width_between(scroll_, cursor_) + 1 > columns) ++scroll_;
  View v;
  v.cursor_col = width_between(scroll_, cursor_);
  v.text = fit_columns(utf8_encode(std::u32string_view(line_).substr(scroll_)), columns);
  return v;
}

}  // namespace chat::client
