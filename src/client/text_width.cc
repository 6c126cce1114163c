#include "client/text_width.h"

#include <cwchar>

namespace chat::client {

std::u32string utf8_decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string utf8_encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = U'\uFFFD';
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

namespace {
bool is_control(char32_t c) { return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0); }
}  // namespace

int char_columns(char32_t c) {
  if (is_control(c)) return 1;
  const int w = ::wcwidth(static_cast<wchar_t>(c));
  return w < 0 ? 1 : w;
}

int text_columns(std::u32string_view s) {
  int cols = 0;
  for (char32_t c : s) cols += char_columns(c);
  return cols;
}

int text_columns(std::string_view utf8) { return text_columns(utf8_decode(utf8)); }

std::string sanitize(std::string_view utf8) {
  std::u32string chars = utf8_decode(utf8);
  for (char32_t& c : chars) {
    if (c == U'\t') {
      c = U' ';
    } else if (is_control(c)) {
      c = U'\uFFFD';
    }
  }
  return utf8_encode(chars);
}

std::string fit_columns(std::string_view utf8, int columns) {
  std::u32string chars = utf8_decode(utf8);
  int used = 0;
  size_t n = 0;
  for (; n < chars.size(); ++n) {
    const int w = char_columns(chars[n]);
    if (used + w > columns) break;
    used += w;
  }
  return utf8_encode(std::u32string_view(chars).substr(0, n));
}

std::vector<std::string> wrap_columns(std::string_view utf8, int columns) {
  std::vector<std::string> lines;
  std::u32string chars = utf8_decode(utf8);
  std::u32string_view rest(chars);
  while (!rest.empty()) {
    int used = 0;
    size_t n = 0;
    size_t last_space = std::u32string_view::npos;
    for (; n < rest.size(); ++n) {
      const int w = char_columns(rest[n]);
      if (used + w > columns) break;
      used += w;
      if (rest[n] == U' ') last_space = n;
    }
    if (n == 0) n = 1;  // a character wider than the line: take it anyway
    size_t cut = n;
    // Break after a space unless that would leave the line less than half full.
    if (n < rest.size() && last_space != std::u32string_view::npos && last_space + 1 >= n / 2) {
      cut = last_space + 1;
    }
    std::u32string_view line = rest.substr(0, cut);
    while (!line.empty() && line.back() == U' ') line.remove_suffix(1);
    lines.push_back(utf8_encode(line));
    rest.remove_prefix(cut);
  }
  if (lines.empty()) lines.emplace_back();
  return lines;
}

}  // namespace chat::client
