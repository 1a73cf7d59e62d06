// The HTTP server behind http.h, on Boost.Beast: one coroutine per connection on its own strand,
// socket I/O on a few I/O threads and handlers on a separate pool. Every read has a deadline
// for the whole step (TLS handshake, request head, body), not per read call, so a client
// trickling a byte at a time is closed on time and never holds a handler thread.
#include <poll.h>

#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "serve/http.h"

namespace edgeocr::serve::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kAwait = asio::use_awaitable;

// Response header values come partly from handlers: never let one end the header early.
std::string header_safe(std::string value) {
  value.erase(std::remove_if(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; }),
              value.end());
  return value;
}

// The client closed its side (FIN or reset), seen without consuming any pipelined bytes.
bool peer_closed(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

struct HttpServer::Impl {
  HttpServer& owner;
  ServerLimits limits;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::ssl::context> ssl;
  asio::thread_pool handlers;
  std::atomic<int> connections{0};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  uint64_t next_waiter = 0;
  // Sessions waiting for a request (idle keep-alive or reading a head): cancelled on stop().
  std::map<uint64_t, std::function<void()>> waiting;

  Impl(HttpServer& o, ServerLimits l)
      : owner(o), limits(std::move(l)), handlers(static_cast<size_t>(std::max(1, limits.handler_threads))) {}

  uint64_t add_waiter(std::function<void()> cancel) {
    std::lock_guard lock(mutex);
    waiting.emplace(++next_waiter, std::move(cancel));
    return next_waiter;
  }
  void remove_waiter(uint64_t id) {
    std::lock_guard lock(mutex);
    waiting.erase(id);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(io), asio::redirect_error(kAwait, ec));
      if (ec) {
        if (!acceptor.is_open() || stopping) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto executor = socket.get_executor();
      if (connections.load() >= limits.max_connections) {
        asio::co_spawn(executor, refuse_busy(std::move(socket)), asio::detached);
        continue;
      }
      ++connections;
      if (ssl) {
        auto stream = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(std::move(socket), *ssl);
        asio::co_spawn(executor, run_tls(stream), [this](std::exception_ptr) { --connections; });
      } else {
        auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
        asio::co_spawn(executor, serve_connection(stream), [this](std::exception_ptr) { --connections; });
      }
    }
  }

  // Over the connection cap: say so at once instead of leaving the client in the backlog.
  asio::awaitable<void> refuse_busy(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    if (!ssl) {
      static const std::string busy =
          "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
          "Connection: close\r\nContent-Length: 71\r\n\r\n"
          "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"too many clients\"}}";
      stream.expires_after(std::chrono::seconds(1));
      beast::error_code ec;
      co_await asio::async_write(stream, asio::buffer(busy), asio::redirect_error(kAwait, ec));
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    beast::error_code ignored;
    stream.socket().close(ignored);
  }

  asio::awaitable<void> run_tls(std::shared_ptr<beast::ssl_stream<beast::tcp_stream>> stream) {
    auto& lowest = beast::get_lowest_layer(*stream);
    lowest.expires_after(limits.header_timeout);
    beast::error_code ec;
    co_await stream->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(kAwait, ec));
    if (ec) co_return;
    co_await serve_connection(stream);
  }

  template <class Stream>
  asio::awaitable<void> write_response(Stream& stream, Request& req, Response& res, unsigned version, bool keep_alive,
                                       bool head_only) {
    auto& lowest = beast::get_lowest_layer(stream);
    if (res.status >= 400 && res.body.empty()) owner.apply_error_handler(req, res);
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    for (const auto& [name, value] : res.headers) out.insert(header_safe(name), header_safe(value));
    if (!res.content_type.empty()) out.set(bhttp::field::content_type, header_safe(res.content_type));
    out.keep_alive(keep_alive);
    const size_t length = res.body.size();
    if (!head_only) out.body() = std::move(res.body);
    out.content_length(length);
    lowest.expires_after(limits.write_timeout);
    beast::error_code ec;
    co_await bhttp::async_write(stream, out, asio::redirect_error(kAwait, ec));
    if (!head_only) res.body = std::move(out.body());  // for the logger's byte count
    if (owner.logger_) owner.logger_(req, res, std::chrono::duration<double>(Clock::now() - req.received_at).count());
  }

  // After refusing a request whose body is still coming, read and drop what arrives for a
  // moment so closing does not reset the connection before the client has read the answer.
  template <class Stream>
  asio::awaitable<void> linger_close(Stream& stream) {
    auto& lowest = beast::get_lowest_layer(stream);
    beast::error_code ec;
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest.expires_after(std::chrono::seconds(1));
    std::array<char, 16384> scratch;
    size_t total = 0;
    while (!ec && total < (8u << 20)) total += co_await lowest.async_read_some(asio::buffer(scratch), asio::redirect_error(kAwait, ec));
    lowest.socket().close(ec);
  }

  template <class Stream>
  asio::awaitable<void> serve_connection(std::shared_ptr<Stream> stream_ptr) {
    Stream& stream = *stream_ptr;
    auto& lowest = beast::get_lowest_layer(stream);
    beast::error_code ec;
    const auto endpoint = lowest.socket().remote_endpoint(ec);
    const std::string remote = ec ? std::string() : endpoint.address().to_string();
    const int fd = lowest.socket().native_handle();
    beast::flat_buffer buffer;
    bool first = true;
    const std::weak_ptr<Stream> weak = stream_ptr;
    const auto cancel = [weak, executor = lowest.get_executor()] {
      asio::post(executor, [weak] {
        if (auto s = weak.lock()) beast::get_lowest_layer(*s).cancel();
      });
    };
    while (!stopping) {
      const uint64_t waiter = add_waiter(cancel);
      // Idle keep-alive: wait for the next request's first byte only so long.
      if (!first && buffer.size() == 0) {
        lowest.expires_after(limits.keep_alive_timeout);
        const size_t n = co_await stream.async_read_some(buffer.prepare(4096), asio::redirect_error(kAwait, ec));
        buffer.commit(n);
        if (ec) {
          remove_waiter(waiter);
          break;
        }
      }
      first = false;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<uint32_t>(std::min<size_t>(limits.max_header_bytes, UINT32_MAX)));
      // The body limit is applied after the head, so an oversized Content-Length is answered
      // (413) after admission like any other refusal.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      lowest.expires_after(limits.header_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(kAwait, ec));
      remove_waiter(waiter);
      auto req = std::make_unique<Request>();
      Response res;
      req->remote_addr = remote;
      req->client_gone = [fd] { return peer_closed(fd); };
      if (ec) {
        if (ec == bhttp::error::header_limit) {
          res.status = 431;
        } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                   ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
          res.status = 400;
        } else {
          break;  // closed, reset or past the deadline: nobody to answer
        }
        co_await write_response(stream, *req, res, 11, false, false);
        co_await linger_close(stream);
        co_return;
      }
      auto& head = parser.get();
      req->method = std::string(head.method_string());
      req->target = std::string(head.target());
      size_t count = 0;
      for (const auto& field : head) {
        req->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        ++count;
      }
      const size_t question = req->target.find('?');
      req->path = percent_decode(std::string_view(req->target).substr(0, question), false);
      if (question != std::string::npos) parse_query(std::string_view(req->target).substr(question + 1), req->params);
      const bool head_only = req->method == "HEAD";
      const unsigned version = head.version();
      const bool keep_alive = head.keep_alive() && !stopping;

      // Everything that can be decided from the head is decided before reading the body.
      const Route* route = nullptr;
      std::string allowed;
      bool refused = false;
      if (count > limits.max_header_count) {
        res.status = 431;
        refused = true;
      } else if (owner.admission_ && owner.admission_(*req, res)) {
        refused = true;
      } else {
        const std::string& method = head_only ? std::string("GET") : req->method;
        for (const auto& r : owner.routes_) {
          if (!std::regex_match(req->path, req->matches, r.pattern)) continue;
          if (r.method == method) {
            route = &r;
            break;
          }
          if (allowed.find(r.method) == std::string::npos) allowed += (allowed.empty() ? "" : ", ") + r.method;
        }
        if (!route) {
          res.status = allowed.empty() ? 404 : 405;
          if (!allowed.empty()) res.set_header("Allow", allowed + (allowed.find("GET") != std::string::npos ? ", HEAD" : ""));
          refused = true;
        } else if (parser.content_length() && *parser.content_length() > limits.max_body_bytes) {
          res.status = 413;
          refused = true;
        }
      }
      const bool has_body = !parser.is_done();
      if (refused) {
        co_await write_response(stream, *req, res, version, keep_alive && !has_body, head_only);
        if (keep_alive && !has_body) continue;
        co_await linger_close(stream);
        co_return;
      }
      if (has_body) {
        parser.body_limit(limits.max_body_bytes);
        if (beast::iequals(req->get_header_value("Expect"), "100-continue")) {
          static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          lowest.expires_after(limits.write_timeout);
          co_await asio::async_write(stream, asio::buffer(kContinue), asio::redirect_error(kAwait, ec));
          if (ec) break;
        }
        lowest.expires_after(limits.body_timeout);
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(kAwait, ec));
        if (ec == bhttp::error::body_limit) {
          res.status = 413;
          co_await write_response(stream, *req, res, version, false, head_only);
          co_await linger_close(stream);
          co_return;
        }
        if (ec) break;
        req->body = std::move(parser.get().body());
      }
      lowest.expires_never();
      const std::string type = req->get_header_value("Content-Type");
      bool malformed = false;
      if (const auto boundary = multipart_boundary(type)) {
        auto parts = parse_multipart(req->body, *boundary);
        if (!parts) malformed = true;
        else
          for (auto& part : *parts) req->files.emplace(part.name, std::move(part));
      } else if (beast::iequals(type.substr(0, type.find(';')), "application/x-www-form-urlencoded")) {
        parse_query(req->body, req->params);
      }

      if (malformed) {
        res.status = 400;
      } else {
        // The handler may block (OCR, archive): run it on the handler pool and wait here
        // without holding an I/O thread. The wake-up is posted to this connection's strand,
        // so it cannot run before the wait below has started.
        asio::steady_timer done(lowest.get_executor(), asio::steady_timer::time_point::max());
        asio::post(handlers, [this, route, &req, &res, &done] {
          owner.run_handler(*route, *req, res);
          asio::post(done.get_executor(), [&done] { done.cancel(); });
        });
        co_await done.async_wait(asio::redirect_error(kAwait, ec));
      }
      co_await write_response(stream, *req, res, version, keep_alive, head_only);
      if (!keep_alive) break;
    }
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      lowest.expires_after(std::chrono::seconds(1));
      co_await stream.async_shutdown(asio::redirect_error(kAwait, ec));
    }
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest.socket().close(ec);
  }
};

HttpServer::HttpServer(ServerLimits limits, const std::string& tls_cert, const std::string& tls_key)
    : impl_(std::make_unique<Impl>(*this, std::move(limits))) {
  if (tls_cert.empty() != tls_key.empty()) throw std::invalid_argument("TLS needs both a certificate and a key");
  if (!tls_cert.empty()) {
    auto& ssl = impl_->ssl.emplace(asio::ssl::context::tls_server);
    ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    ssl.use_certificate_chain_file(tls_cert, ec);
    if (!ec) ssl.use_private_key_file(tls_key, asio::ssl::context::pem, ec);
    if (!ec && SSL_CTX_check_private_key(ssl.native_handle()) != 1) ec = asio::error::invalid_argument;
    if (ec)
      throw std::invalid_argument("cannot load the TLS certificate/key (" + tls_cert + ", " + tls_key +
                                  "): not PEM, or the key does not match");
  }
}

HttpServer::~HttpServer() {
  stop();
  impl_->io.stop();
  impl_->handlers.join();
}

void HttpServer::add_route(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, std::regex(pattern), std::move(handler)});
}

void HttpServer::run_handler(const Route& route, Request& req, Response& res) const {
  try {
    route.handler(req, res);
  } catch (...) {
    res.body.clear();
    res.status = 500;
    if (exception_handler_) {
      try {
        exception_handler_(req, res, std::current_exception());
      } catch (...) {
        res.status = 500;
      }
    }
  }
}

void HttpServer::apply_error_handler(const Request& req, Response& res) const {
  if (!error_handler_) return;
  try {
    error_handler_(req, res);
  } catch (...) {
    res.set_content("{\"error\":{\"code\":\"error\",\"message\":\"request failed\"}}", "application/json");
  }
}

int HttpServer::bind(const std::string& host, int port) {
  beast::error_code ec;
  tcp::resolver resolver(impl_->io);
  const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + " (unknown address)");
  const tcp::endpoint endpoint = results.begin()->endpoint();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(impl_->limits.backlog, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                             " (address in use or not available)");
  return acceptor.local_endpoint().port();
}

void HttpServer::run() {
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->limits.io_threads; ++i) threads.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : threads) t.join();
  impl_->handlers.join();
}

void HttpServer::stop() {
  impl_->stopping = true;
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  std::lock_guard lock(impl_->mutex);
  for (const auto& [id, cancel] : impl_->waiting) cancel();
}

int HttpServer::active_connections() const { return impl_->connections.load(); }

}  // namespace edgeocr::serve::http
