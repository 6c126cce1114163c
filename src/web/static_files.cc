#include "web/static_files.h"

#include <array>
#include <utility>

namespace chat::web {
namespace {

constexpr std::string_view kPlaceholderIndex =
    "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>chatd</title></head>\n"
    "<body><h1>chatd</h1><p>This chatd was built without a chat page (web/ was empty). "
    "WebSocket clients can still connect to <code>/ws</code>.</p></body></html>\n";

constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kTypes = {{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".woff2", "font/woff2"},
    {".map", "application/json"},
    {".wasm", "application/wasm"},
}};

}  // namespace

std::string_view content_type_for(std::string_view path) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    std::string_view ext = path.substr(dot);
    for (const auto& [e, type] : kTypes) {
      if (e == ext) return type;
    }
  }
  return "application/octet-stream";
}

std::optional<StaticFile> find_static_file(std::string_view path, const EmbeddedFile* files,
                                           size_t count) {
  if (path == "/") path = "/index.html";
  for (size_t i = 0; i < count; ++i) {
    if (files[i].path != nullptr && path == files[i].path) {
      return StaticFile{
          path, content_type_for(path),
          std::string_view(reinterpret_cast<const char*>(files[i].data), files[i].size)};
    }
  }
  if (path == "/index.html") {
    return StaticFile{path, content_type_for(path), kPlaceholderIndex};
  }
  return std::nullopt;
}

std::optional<StaticFile> find_static_file(std::string_view path) {
  return find_static_file(path, kEmbeddedFiles, kEmbeddedFileCount);
}

}  // namespace chat::web
