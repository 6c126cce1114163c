// UTF-8 text for a terminal: decoding, display width (wcwidth: CJK and most
// emoji take two columns, combining marks none), cutting and wrapping to a
// number of columns, and removing control characters a peer could use to
// drive our terminal. Pure; needs a UTF-8 LC_CTYPE locale (setlocale) for
// wcwidth to know wide characters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chat::client {

// Invalid or truncated sequences decode to U+FFFD, one per bad byte.
std::u32string utf8_decode(std::string_view s);
std::string utf8_encode(std::u32string_view s);

// Columns a code point takes: 0, 1 or 2 (a non-printable one counts 1: it
// is shown as U+FFFD after sanitize()).
int char_columns(char32_t c);
int text_columns(std::u32string_view s);
int text_columns(std::string_view utf8);

// Control characters (C0, DEL, C1) replaced by U+FFFD; tabs by a space.
std::string sanitize(std::string_view utf8);

// The longest prefix of `utf8` that fits in `columns`.
std::string fit_columns(std::string_view utf8, int columns);

// Splits `utf8` into lines of at most `columns` columns, breaking after a
// space when one is close enough, else inside a word. At least one line.
// REQUIRES: columns >= 2 (one wide character must fit).
std::vector<std::string> wrap_columns(std::string_view utf8, int columns);

}  // namespace chat::client
