#include "metrics/http_request_parser.h"

#include <http_parser.h>

#include <algorithm>
#include <utility>

namespace chat::metrics {

// A nested class may touch the parser's private state; http-parser's C
// callbacks reach it through parser.data.
struct HttpRequestParser::Impl {
  http_parser parser{};
  http_parser_settings settings{};
  HttpRequestParser* owner = nullptr;

  static HttpRequestParser& self(http_parser* p) { return *static_cast<Impl*>(p->data)->owner; }

  static int on_url(http_parser* p, const char* at, size_t len) {
    // Bounded: feed() never passes more than max_request_bytes in all.
    self(p).url_.append(at, len);
    return 0;
  }

  static int on_header_field(http_parser* p, const char* at, size_t len) {
    HttpRequestParser& me = self(p);
    auto& headers = me.request_.headers;
    if (headers.empty() || me.in_value_) {
      headers.emplace_back();
      me.in_value_ = false;
    }
    headers.back().first.append(at, len);
    return 0;
  }

  static int on_header_value(http_parser* p, const char* at, size_t len) {
    HttpRequestParser& me = self(p);
    if (me.request_.headers.empty()) return 0;
    me.in_value_ = true;
    me.request_.headers.back().second.append(at, len);
    return 0;
  }

  static int on_headers_complete(http_parser* p) {
    self(p).headers_done_ = true;
    return 0;
  }

  static int on_message_complete(http_parser* p) {
    HttpRequestParser& me = self(p);
    me.complete_ = true;
    me.keep_alive_ = http_should_keep_alive(p) != 0;
    // Stop right after this request: what follows belongs to the next one.
    http_parser_pause(p, 1);
    return 0;
  }
};

HttpRequestParser::HttpRequestParser(size_t max_request_bytes)
    : max_request_bytes_(max_request_bytes), impl_(std::make_unique<Impl>()) {
  impl_->owner = this;
  http_parser_settings_init(&impl_->settings);
  impl_->settings.on_url = Impl::on_url;
  impl_->settings.on_header_field = Impl::on_header_field;
  impl_->settings.on_header_value = Impl::on_header_value;
  impl_->settings.on_headers_complete = Impl::on_headers_complete;
  impl_->settings.on_message_complete = Impl::on_message_complete;
  reset();
}

HttpRequestParser::~HttpRequestParser() = default;

void HttpRequestParser::reset() {
  http_parser_init(&impl_->parser, HTTP_REQUEST);
  impl_->parser.data = impl_.get();
  request_ = HttpRequest{};
  url_.clear();
  request_bytes_ = 0;
  headers_done_ = false;
  in_value_ = false;
  complete_ = false;
  keep_alive_ = true;
  error_status_ = 0;
  error_reason_.clear();
}

HttpRequestParser::Step HttpRequestParser::fail(int status, std::string reason, size_t consumed) {
  error_status_ = status;
  error_reason_ = std::move(reason);
  return Step{State::kError, consumed};
}

HttpRequestParser::Step HttpRequestParser::feed(std::string_view in) {
  // Never hand http-parser more than the request may still grow by, plus
  // one byte to see that it would grow past the bound.
  const size_t room = max_request_bytes_ - std::min(request_bytes_, max_request_bytes_);
  const std::string_view chunk = in.substr(0, room + 1);
  const size_t n =
      http_parser_execute(&impl_->parser, &impl_->settings, chunk.data(), chunk.size());
  request_bytes_ += n;
  if (complete_) {
    http_parser_pause(&impl_->parser, 0);
    if (request_bytes_ > max_request_bytes_) return fail(413, "request too large", n);
    http_parser_url url{};
    http_parser_url_init(&url);
    if (http_parser_parse_url(url_.data(), url_.size(), 0, &url) != 0 ||
        (url.field_set & (1u << UF_PATH)) == 0) {
      return fail(400, "malformed request target", n);
    }
    const auto& path = url.field_data[UF_PATH];
    request_.path = url_.substr(path.off, path.len);
    if ((url.field_set & (1u << UF_QUERY)) != 0) {
      const auto& query = url.field_data[UF_QUERY];
      request_.query = url_.substr(query.off, query.len);
    }
    request_.method = http_method_str(static_cast<http_method>(impl_->parser.method));
    request_.upgrade = impl_->parser.upgrade != 0;
    if (request_.upgrade) keep_alive_ = false;  // not honoured: close after the reply
    return Step{State::kRequest, n};
  }
  const auto err = HTTP_PARSER_ERRNO(&impl_->parser);
  if (err != HPE_OK) {
    return fail(400, std::string("malformed request: ") + http_errno_description(err), n);
  }
  if (request_bytes_ > max_request_bytes_) {
    if (headers_done_) return fail(413, "request too large", n);
    return fail(431, "request headers too large", n);
  }
  return Step{State::kNeedMore, n};
}

}  // namespace chat::metrics
