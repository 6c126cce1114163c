// The chat page's files, embedded in the binary at build time (CMake runs
// cmake/embed_web.cmake over web/ into web_assets.cc, again whenever a file
// there changes), and their lookup by request path.
//
// Thread: immutable data; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace chat::web {

struct EmbeddedFile {
  const char* path;  // "/index.html"
  const unsigned char* data;
  size_t size;
};
// Defined in the generated web_assets.cc.
extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

struct StaticFile {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

// The MIME type for a path, by extension (application/octet-stream when
// unknown).
std::string_view content_type_for(std::string_view path);

// The file for request path `path` ("/" means "/index.html"), from `files`.
// When there is no index.html at all, "/" gets a small built-in page saying
// so. nullopt for anything else that is not there.
std::optional<StaticFile> find_static_file(std::string_view path, const EmbeddedFile* files,
                                           size_t count);
// The same over the files built into this binary.
std::optional<StaticFile> find_static_file(std::string_view path);

}  // namespace chat::web
