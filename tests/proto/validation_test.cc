// valid_utf8, valid_name, valid_body (src/proto/validation.cc).

#include <gtest/gtest.h>

#include <string>

#include "proto/messages.h"

namespace chat::proto {
namespace {

// Builds a string from bytes, NULs included.
std::string b(std::initializer_list<int> bytes) {
  std::string s;
  for (int x : bytes) {
    s.push_back(static_cast<char>(x));
  }
  return s;
}

TEST(ValidUtf8, AcceptsWellFormedText) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8(b({0x00})));                    // NUL is a code point
  EXPECT_TRUE(valid_utf8(b({0x7F})));                    // last 1-byte
  EXPECT_TRUE(valid_utf8(b({0xC2, 0x80})));              // U+0080, first 2-byte
  EXPECT_TRUE(valid_utf8(b({0xDF, 0xBF})));              // U+07FF, last 2-byte
  EXPECT_TRUE(valid_utf8(b({0xE0, 0xA0, 0x80})));        // U+0800, first 3-byte
  EXPECT_TRUE(valid_utf8(b({0xED, 0x9F, 0xBF})));        // U+D7FF, below surrogates
  EXPECT_TRUE(valid_utf8(b({0xEE, 0x80, 0x80})));        // U+E000, above surrogates
  EXPECT_TRUE(valid_utf8(b({0xEF, 0xBF, 0xBF})));        // U+FFFF
  EXPECT_TRUE(valid_utf8(b({0xF0, 0x90, 0x80, 0x80})));  // U+10000, first 4-byte
  EXPECT_TRUE(valid_utf8(b({0xF4, 0x8F, 0xBF, 0xBF})));  // U+10FFFF, the last
  EXPECT_TRUE(valid_utf8("h\xC3\xA9llo \xF0\x9F\x8C\x8D"));
}

TEST(ValidUtf8, RejectsOverlongForms) {
  EXPECT_FALSE(valid_utf8(b({0xC0, 0x80})));              // U+0000 in 2 bytes
  EXPECT_FALSE(valid_utf8(b({0xC0, 0xAF})));              // '/' in 2 bytes
  EXPECT_FALSE(valid_utf8(b({0xC1, 0xBF})));              // U+007F in 2 bytes
  EXPECT_FALSE(valid_utf8(b({0xE0, 0x80, 0x80})));        // U+0000 in 3 bytes
  EXPECT_FALSE(valid_utf8(b({0xE0, 0x9F, 0xBF})));        // U+07FF in 3 bytes
  EXPECT_FALSE(valid_utf8(b({0xF0, 0x80, 0x80, 0x80})));  // U+0000 in 4 bytes
  EXPECT_FALSE(valid_utf8(b({0xF0, 0x8F, 0xBF, 0xBF})));  // U+FFFF in 4 bytes
}

TEST(ValidUtf8, RejectsSurrogates) {
  EXPECT_FALSE(valid_utf8(b({0xED, 0xA0, 0x80})));  // U+D800
  EXPECT_FALSE(valid_utf8(b({0xED, 0xAF, 0xBF})));  // U+DBFF
  EXPECT_FALSE(valid_utf8(b({0xED, 0xB0, 0x80})));  // U+DC00
  EXPECT_FALSE(valid_utf8(b({0xED, 0xBF, 0xBF})));  // U+DFFF
  // A CESU-8 style pair is two surrogates, not one code point.
  EXPECT_FALSE(valid_utf8(b({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80})));
}

TEST(ValidUtf8, RejectsCodePointsPastU10FFFF) {
  EXPECT_FALSE(valid_utf8(b({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  EXPECT_FALSE(valid_utf8(b({0xF5, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(valid_utf8(b({0xF7, 0xBF, 0xBF, 0xBF})));
  EXPECT_FALSE(valid_utf8(b({0xF8, 0x88, 0x80, 0x80, 0x80})));  // old 5-byte form
  EXPECT_FALSE(valid_utf8(b({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(valid_utf8(b({0xFE})));
  EXPECT_FALSE(valid_utf8(b({0xFF})));
}

TEST(ValidUtf8, RejectsTruncatedSequences) {
  EXPECT_FALSE(valid_utf8(b({0xC3})));
  EXPECT_FALSE(valid_utf8(b({0xE2, 0x82})));
  EXPECT_FALSE(valid_utf8(b({0xF0, 0x9F, 0x8C})));
  EXPECT_FALSE(valid_utf8(b({0xF0, 0x9F})));
  EXPECT_FALSE(valid_utf8(b({'a', 0xC3})));
  // Cut short by the next character rather than the end.
  EXPECT_FALSE(valid_utf8(b({0xC3, 'a'})));
  EXPECT_FALSE(valid_utf8(b({0xE2, 0x82, 'a'})));
  EXPECT_FALSE(valid_utf8(b({0xF0, 0x9F, 0x8C, 'a'})));
  EXPECT_FALSE(valid_utf8(b({0xE2, 0xC3, 0xA9})));
}

TEST(ValidUtf8, RejectsStrayContinuationBytes) {
  EXPECT_FALSE(valid_utf8(b({0x80})));
  EXPECT_FALSE(valid_utf8(b({0xBF})));
  EXPECT_FALSE(valid_utf8(b({'a', 0x80, 'b'})));
  EXPECT_FALSE(valid_utf8(b({0xC3, 0xA9, 0xA9})));  // one continuation too many
}

TEST(ValidUtf8, EveryTwoByteLeadAgainstEveryFollower) {
  // Exhaustive over two bytes: valid iff it is ASCII + ASCII or a lead
  // C2..DF followed by a continuation.
  for (int x = 0; x < 256; ++x) {
    for (int y = 0; y < 256; ++y) {
      const bool ascii_pair = x < 0x80 && y < 0x80;
      const bool two_byte = x >= 0xC2 && x <= 0xDF && y >= 0x80 && y <= 0xBF;
      ASSERT_EQ(valid_utf8(b({x, y})), ascii_pair || two_byte) << x << " " << y;
    }
  }
}

TEST(ValidName, Lengths) {
  EXPECT_FALSE(valid_name(""));
  EXPECT_TRUE(valid_name("a"));
  EXPECT_TRUE(valid_name(std::string(64, 'a')));
  EXPECT_FALSE(valid_name(std::string(65, 'a')));
  // Bytes, not characters: 16 four-byte characters are 64 bytes.
  std::string globes;
  for (int i = 0; i < 16; ++i) {
    globes += "\xF0\x9F\x8C\x8D";
  }
  EXPECT_TRUE(valid_name(globes));
  EXPECT_FALSE(valid_name(globes + "a"));
  // 63 bytes plus a two-byte character: 65 bytes.
  EXPECT_FALSE(valid_name(std::string(63, 'a') + "\xC3\xA9"));
  EXPECT_TRUE(valid_name(std::string(62, 'a') + "\xC3\xA9"));
}

TEST(ValidName, RefusesWhitespaceAndControlCharacters) {
  EXPECT_FALSE(valid_name(" "));
  EXPECT_FALSE(valid_name("a b"));
  EXPECT_FALSE(valid_name(" ab"));
  EXPECT_FALSE(valid_name("ab "));
  EXPECT_FALSE(valid_name("a\tb"));
  EXPECT_FALSE(valid_name("a\nb"));
  EXPECT_FALSE(valid_name("a\rb"));
  EXPECT_FALSE(valid_name(b({'a', 0x00, 'b'})));
  EXPECT_FALSE(valid_name(b({'a', 0x1F})));
  EXPECT_FALSE(valid_name(b({'a', 0x7F})));  // DEL
  for (int c = 0; c <= 0x20; ++c) {
    EXPECT_FALSE(valid_name(b({'x', c}))) << c;
  }
}

TEST(ValidName, AcceptsPrintableAsciiAndNonAscii) {
  for (int c = 0x21; c < 0x7F; ++c) {
    EXPECT_TRUE(valid_name(b({c}))) << c;
  }
  EXPECT_TRUE(valid_name("ana"));
  EXPECT_TRUE(valid_name("general-2"));
  EXPECT_TRUE(valid_name("Jos\xC3\xA9"));
  EXPECT_TRUE(valid_name("\xE5\x8C\x97\xE4\xBA\xAC"));  // 北京
  // PROTOCOL.md forbids what is at or below U+0020 and U+007F, nothing more:
  // U+00A0 (no-break space) and U+0085 (next line) pass by its letter.
  EXPECT_TRUE(
      valid_name("a\xC2\xA0"
                 "b"));
  EXPECT_TRUE(
      valid_name("a\xC2\x85"
                 "b"));
}

TEST(ValidName, RefusesInvalidUtf8) {
  EXPECT_FALSE(valid_name(b({'a', 0xC3})));
  EXPECT_FALSE(valid_name(b({0xC0, 0xA1})));  // overlong '!'
  EXPECT_FALSE(valid_name(b({0xED, 0xA0, 0x80})));
  EXPECT_FALSE(valid_name(b({0xFF})));
}

TEST(ValidBody, Limits) {
  EXPECT_FALSE(valid_body("", 4096));
  EXPECT_TRUE(valid_body("x", 4096));
  EXPECT_TRUE(valid_body(std::string(4096, 'x'), 4096));
  EXPECT_FALSE(valid_body(std::string(4097, 'x'), 4096));
  EXPECT_TRUE(valid_body("abc", 3));
  EXPECT_FALSE(valid_body("abcd", 3));
  EXPECT_FALSE(valid_body("a", 0));  // nothing fits in zero bytes
  // The limit counts bytes: a two-byte character at the edge.
  EXPECT_TRUE(valid_body("ab\xC3\xA9", 4));
  EXPECT_FALSE(valid_body("abc\xC3\xA9", 4));
}

TEST(ValidBody, AnyValidUtf8IncludingControlsAndSpaces) {
  EXPECT_TRUE(valid_body(" ", 10));
  EXPECT_TRUE(valid_body("line one\nline two\t!", 100));
  EXPECT_TRUE(valid_body(b({0x00}), 10));
  EXPECT_FALSE(valid_body(b({0xC3, 0x28}), 10));
  EXPECT_FALSE(valid_body(b({'o', 'k', 0xE2, 0x82}), 10));
}

}  // namespace
}  // namespace chat::proto
