// The service against hostile and careless clients, over raw sockets on 127.0.0.1: bytes that
// are not UTF-8, slow and idle connections, header floods, overload, clients that leave,
// password guessing, foreign Host/Origin, and the page-only second port.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "serve/http.h"
#include "serve_test_support.h"

using namespace edgeocr::serve;
using namespace edgeocr::serve::fixtures;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

ServerOptions fake_options(std::shared_ptr<std::atomic<int>> delay = std::make_shared<std::atomic<int>>(0)) {
  ServerOptions o;
  o.engine_factory = fake_engine_factory(std::move(delay));
  return o;
}

// A plain TCP connection to the test server, closed on destruction.
class Socket {
 public:
  explicit Socket(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect failed");
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  bool send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Everything until the server closes, or until `timeout` (or one full response when
  // `one_response` and Content-Length says the body is complete).
  std::string read(std::chrono::milliseconds timeout, bool one_response = true) {
    std::string out;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
      if (one_response && complete(out)) break;
    }
    return out;
  }
  // True when the server has closed the connection within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    read(timeout, false);
    return closed_;
  }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  static bool complete(const std::string& r) {
    const size_t end = r.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const std::regex length_re("[Cc]ontent-[Ll]ength: *([0-9]+)");
    std::smatch m;
    const std::string head = r.substr(0, end);
    if (!std::regex_search(head, m, length_re)) return true;
    return r.size() >= end + 4 + std::stoul(m[1]);
  }
  int fd_;
  bool closed_ = false;
};

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

std::string round_trip(int port, const std::string& request) {
  Socket s(port);
  s.send(request);
  return s.read(std::chrono::seconds(5));
}

std::string multipart(const std::string& boundary, const std::vector<std::array<std::string, 4>>& parts) {
  std::string body;
  for (const auto& [name, filename, type, content] : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
    if (!filename.empty()) body += "; filename=\"" + filename + "\"";
    body += "\r\n";
    if (!type.empty()) body += "Content-Type: " + type + "\r\n";
    body += "\r\n" + content + "\r\n";
  }
  return body + "--" + boundary + "--\r\n";
}

std::string post(const std::string& path, const std::string& body, const std::string& type,
                 const std::string& extra_headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "Connection: close\r\n\r\n" +
         body;
}

std::string get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "Connection: close\r\n\r\n";
}

bool healthy(int port) { return status_of(round_trip(port, get("/healthz"))) == 200; }

double rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

}  // namespace

TEST(HttpParse, QueryAndMultipart) {
  std::multimap<std::string, std::string> q;
  http::parse_query("a=1&b=%20x+y&c&%ff=%zz&", q);
  EXPECT_EQ(q.find("a")->second, "1");
  EXPECT_EQ(q.find("b")->second, " x y");
  EXPECT_EQ(q.find("c")->second, "");
  EXPECT_EQ(q.find("\xff")->second, "%zz");
  EXPECT_EQ(http::percent_decode("/a%2fb+c%", false), "/a/b+c%");
  const auto boundary = http::multipart_boundary("multipart/form-data; boundary=\"XyZ\"");
  ASSERT_TRUE(boundary);
  EXPECT_EQ(*boundary, "XyZ");
  EXPECT_FALSE(http::multipart_boundary("text/plain; boundary=XyZ"));
  const auto parts = http::parse_multipart(multipart("XyZ", {{"file", "a;b.png", "image/png", "PNG\r\nDATA"},
                                                             {"task", "", "", "spot"}}),
                                           "XyZ");
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].filename, "a;b.png");
  EXPECT_EQ((*parts)[0].content, "PNG\r\nDATA");
  EXPECT_EQ((*parts)[1].name, "task");
  EXPECT_FALSE(http::parse_multipart("--XyZ\r\nno end", "XyZ"));
}

// Every route, with a path, query, header, form field and filename that are not UTF-8:
// a 4xx with a JSON body that is valid UTF-8, and a server that keeps answering.
TEST(Hardening, InvalidUtf8EverywhereGives4xxAndTheServerLives) {
  TestServer ts(fake_options());
  const int port = ts.port();
  const std::string bad = "\xff\xfe\xc3(";
  const std::string image = png_header(8, 8);
  const std::vector<std::string> requests = {
      get("/%ff"),
      get("/static/%ff"),
      get("/v1/records?limit=%ff"),
      get("/v1/records?cursor=%ff%fe&from=%c3"),
      get("/v1/records/%ff"),
      get("/v1/records/%ff/image"),
      get("/v1/records/%ff?image=%ff"),
      get("/v1/records.csv?offset=%ff"),
      "DELETE /v1/records/%ff HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
      get("/v1/records?limit=%ff", "X-Odd: " + bad + "\r\n"),
      post("/v1/ocr?task=%ff", multipart("b", {{"file", bad + ".png", "image/png", image}}), "multipart/form-data; boundary=b"),
      post("/v1/ocr", multipart("b", {{"file", "x.png", "image/png", image}, {"task", "", "", bad}}),
           "multipart/form-data; boundary=b"),
      post("/v1/ocr", multipart("b", {{"file", "x.png", "image/png", image}, {"store", "", "", bad}}),
           "multipart/form-data; boundary=b"),
      post("/v1/ocr", multipart("b", {{"file", "x.png", "image/png", image}, {"fields", "", "", "[\"" + bad + "\"]"}}),
           "multipart/form-data; boundary=b"),
      post("/v1/ocr", multipart("b", {{"file", bad, bad, "not an image"}}), "multipart/form-data; boundary=b"),
      post("/ocr", multipart("b", {{"file", "x", "text/" + bad, image}}), "multipart/form-data; boundary=b"),
      post("/ocr", "x", "text/plain; " + bad),
      post("/%ff", "x", "text/plain"),
  };
  for (const auto& request : requests) {
    const std::string response = round_trip(port, request);
    const int status = status_of(response);
    EXPECT_GE(status, 400) << request.substr(0, 80) << "\n" << response;
    EXPECT_LT(status, 500) << request.substr(0, 80) << "\n" << response;
    const auto j = json::parse(body_of(response), nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("error")) << request.substr(0, 80) << "\n" << response;
    ASSERT_TRUE(healthy(port)) << "server died after " << request.substr(0, 80);
  }
}

TEST(Hardening, FortyTricklingClientsDoNotStallOthersAndAreClosedOnTime) {
  ServerOptions o = fake_options();
  o.header_timeout_s = 3;
  TestServer ts(o);
  const int port = ts.port();
  std::vector<std::unique_ptr<Socket>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<Socket>(port));
    slow.back()->send("G");
  }
  const auto trickle_start = Clock::now();
  for (int second = 0; second < 2; ++second) {
    for (auto& s : slow) s->send("E");
    const auto t0 = Clock::now();
    EXPECT_TRUE(healthy(port));
    const std::string ocr = round_trip(
        port, post("/ocr", multipart("b", {{"file", "x.png", "image/png", png_header(8, 8)}}), "multipart/form-data; boundary=b"));
    EXPECT_EQ(status_of(ocr), 200) << ocr;
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
    std::this_thread::sleep_until(trickle_start + std::chrono::seconds(second + 1));
  }
  // Still trickling: the whole-head deadline (3 s) closes them, a byte a second or not.
  for (auto& s : slow) s->send("T");
  EXPECT_TRUE(slow.front()->closed_within(std::chrono::milliseconds(2500)));
  EXPECT_LT(Clock::now() - trickle_start, std::chrono::milliseconds(5000));
  EXPECT_TRUE(slow.back()->closed_within(std::chrono::milliseconds(500)));
}

TEST(Hardening, BodylessPostIsClosedAtTheBodyDeadline) {
  ServerOptions o = fake_options();
  o.read_timeout_s = 1;
  TestServer ts(o);
  Socket s(ts.port());
  s.send("POST /ocr HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
         "Content-Length: 5000\r\n\r\n--b\r\n");
  const auto start = Clock::now();
  EXPECT_TRUE(s.closed_within(std::chrono::seconds(3)));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2500));
}

TEST(Hardening, HeaderFloodGets431AndMemoryStaysFlat) {
  TestServer ts(fake_options());
  EXPECT_TRUE(healthy(ts.port()));
  const double before = rss_mb();
  Socket s(ts.port());
  auto writer = std::async(std::launch::async, [&s] {
    s.send("GET /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const std::string line = "X-Flood: " + std::string(1000, 'a') + "\r\n";
    std::string chunk;
    for (int i = 0; i < 1000; ++i) chunk += line;  // ~1 MB
    for (int i = 0; i < 60; ++i)
      if (!s.send(chunk)) return i;
    return 60;
  });
  const std::string response = s.read(std::chrono::seconds(5));
  writer.get();
  EXPECT_EQ(status_of(response), 431) << response.substr(0, 200);
  EXPECT_LT(rss_mb() - before, 16.0);
  // Many small headers: the count limit.
  std::string many;
  for (int i = 0; i < 150; ++i) many += "X-H" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(status_of(round_trip(ts.port(), get("/healthz", many))), 431);
  EXPECT_TRUE(healthy(ts.port()));
}

TEST(Hardening, FullQueueRefusesBeforeTheBodyIn50ms) {
  auto delay = std::make_shared<std::atomic<int>>(1500);
  ServerOptions o = fake_options(delay);
  o.workers = 1;
  o.queue_length = 1;
  TestServer ts(o);
  const std::string request =
      post("/ocr", multipart("b", {{"file", "x.png", "image/png", png_header(8, 8)}}), "multipart/form-data; boundary=b");
  auto running = std::async(std::launch::async, [&] { return round_trip(ts.port(), request); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto queued = std::async(std::launch::async, [&] { return round_trip(ts.port(), request); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A 10 MB upload announced, none of it sent: the answer must not wait for it.
  Socket s(ts.port());
  s.send("POST /ocr HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
         "Content-Length: 10000000\r\n\r\n");
  const auto start = Clock::now();
  const std::string response = s.read(std::chrono::seconds(3));
  const auto took = Clock::now() - start;
  EXPECT_EQ(status_of(response), 503) << response;
  EXPECT_NE(response.find("Retry-After: "), std::string::npos);
  EXPECT_LT(took, std::chrono::milliseconds(50));
  EXPECT_EQ(status_of(running.get()), 200);
  EXPECT_EQ(status_of(queued.get()), 200);
}

TEST(Hardening, QueuedJobOfAClientThatLeftIsNeitherRunNorStored) {
  auto delay = std::make_shared<std::atomic<int>>(800);
  ServerOptions o = fake_options(delay);
  o.workers = 1;
  o.queue_length = 4;
  TestServer ts(o);
  const auto request = [](const std::string& tag) {
    return post("/ocr", multipart("b", {{"file", "x.png", "image/png", png_header(8, 8, tag)}}),
                "multipart/form-data; boundary=b");
  };
  auto running = std::async(std::launch::async, [&] { return round_trip(ts.port(), request("kept")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    Socket leaving(ts.port());
    leaving.send(request("left"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }  // closed while its job waits behind the running one
  EXPECT_EQ(status_of(running.get()), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the left job would have finished by now
  EXPECT_EQ(ts.server().archive().count(), 1);
  EXPECT_EQ(ts.server().metrics().render().find("edgeocr_jobs_running 1"), std::string::npos);
}

TEST(Hardening, ConnectionCapAnswers503AtOnce) {
  ServerOptions o = fake_options();
  o.max_connections = 4;
  TestServer ts(o);
  const auto held = [&ts] {
    const std::string text = ts.server().metrics().render();
    const size_t at = text.find("\nedgeocr_http_connections ");
    return at == std::string::npos ? -1 : std::stoi(text.substr(at + 26));
  };
  const auto wait_until_held = [&held](int n) {
    for (int i = 0; i < 100 && held() != n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return held();
  };
  // The start-up probe's connection may still be counted; a fifth slot taken by it would refuse an idle one.
  ASSERT_EQ(wait_until_held(0), 0);
  std::vector<std::unique_ptr<Socket>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<Socket>(ts.port()));
    idle.back()->send("GET");
    ASSERT_EQ(wait_until_held(i + 1), i + 1);
  }
  const auto start = Clock::now();
  const std::string response = round_trip(ts.port(), get("/healthz"));
  EXPECT_EQ(status_of(response), 503) << response;
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
  idle.clear();
  for (int i = 0; i < 50 && !healthy(ts.port()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(healthy(ts.port()));
}

TEST(Hardening, KeepAliveAnswersWithoutNagleDelay) {
  TestServer ts(fake_options());
  Socket s(ts.port());
  std::vector<double> ms;
  for (int i = 0; i < 6; ++i) {
    const auto start = Clock::now();
    s.send("GET /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ASSERT_EQ(status_of(s.read(std::chrono::seconds(2))), 200);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  EXPECT_LT(ms[3], 30.0) << "median keep-alive round trip";  // Nagle + delayed ACK adds ~40 ms
}

TEST(Hardening, FailedLoginsFromOneAddressBackOff) {
  const auto [key, entry] = new_api_key();
  ServerOptions o = fake_options();
  o.auth = Authenticator::from_text(R"({"api_keys": [{"name": "till", "sha256": ")" + entry + R"("}]})", "test");
  TestServer ts(o);
  for (int i = 0; i < LoginBackoff::kFreeFailures; ++i)
    EXPECT_EQ(status_of(round_trip(ts.port(), get("/v1/records", "Authorization: Bearer wrong\r\n"))), 401);
  EXPECT_EQ(status_of(round_trip(ts.port(), get("/v1/records", "Authorization: Bearer wrong\r\n"))), 401);
  const std::string refused = round_trip(ts.port(), get("/v1/records", "Authorization: Bearer " + key + "\r\n"));
  EXPECT_EQ(status_of(refused), 429) << refused;
  EXPECT_NE(refused.find("Retry-After: "), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(status_of(round_trip(ts.port(), get("/v1/records", "Authorization: Bearer " + key + "\r\n"))), 200);
}

TEST(Hardening, NoAuthLoopbackRefusesForeignHostAndOrigin) {
  TestServer ts(fake_options());
  const std::string port = std::to_string(ts.port());
  const auto with = [&](const std::string& headers) {
    return status_of(round_trip(ts.port(), "GET /v1/records HTTP/1.1\r\n" + headers + "Connection: close\r\n\r\n"));
  };
  EXPECT_EQ(with("Host: 127.0.0.1:" + port + "\r\n"), 200);
  EXPECT_EQ(with("Host: localhost:" + port + "\r\n"), 200);
  EXPECT_EQ(with("Host: [::1]:" + port + "\r\nOrigin: http://localhost:7860\r\n"), 200);
  EXPECT_EQ(with("Host: attacker.example:" + port + "\r\n"), 403);
  EXPECT_EQ(with("Host: 127.0.0.1.attacker.example\r\n"), 403);
  EXPECT_EQ(with("Host: 127.0.0.1:" + port + "\r\nOrigin: http://attacker.example\r\n"), 403);
  EXPECT_EQ(with("Host: 127.0.0.1:" + port + "\r\nOrigin: null\r\n"), 403);
}

TEST(Hardening, SvgIs415AndWrongMethodIs405) {
  TestServer ts(fake_options());
  const std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
  EXPECT_EQ(status_of(round_trip(ts.port(), post("/v1/ocr", svg, "image/svg+xml"))), 415);
  EXPECT_EQ(status_of(round_trip(ts.port(), post("/ocr", multipart("b", {{"file", "a.svg", "image/svg+xml", svg}}),
                                               "multipart/form-data; boundary=b"))),
            415);
  const std::string response =
      round_trip(ts.port(), "DELETE /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(response), 405) << response;
  EXPECT_NE(response.find("Allow: GET"), std::string::npos);
  EXPECT_EQ(status_of(round_trip(ts.port(), post("/v1/records", "{}", "application/json"))), 405);
}

TEST(Hardening, WebPortServesOnlyThePage) {
  ServerOptions o = fake_options();
  o.web_port = 0;
  TestServer ts(o);
  const int web = ts.server().web_port();
  ASSERT_GT(web, 0);
  ASSERT_NE(web, ts.port());
  const std::string page = round_trip(web, get("/"));
  EXPECT_EQ(status_of(page), 200);
  EXPECT_NE(page.find("text/html"), std::string::npos);
  EXPECT_EQ(status_of(round_trip(web, get("/healthz"))), 404);
  EXPECT_EQ(status_of(round_trip(web, get("/v1/records"))), 404);
  EXPECT_EQ(status_of(round_trip(web, post("/ocr", "x", "image/png"))), 404);
  EXPECT_TRUE(healthy(ts.port()));
  // The page finds the API on the main port, which answers the page's origin (CORS).
  EXPECT_NE(page.find("<meta name=\"edgeocr-api\" content=\"http://127.0.0.1:" + std::to_string(ts.port()) + "\">"),
            std::string::npos);
  const std::string origin = "Origin: http://127.0.0.1:" + std::to_string(web) + "\r\n";
  const std::string preflight = round_trip(ts.port(), "OPTIONS /v1/ocr HTTP/1.1\r\nHost: 127.0.0.1\r\n" + origin +
                                                          "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(preflight), 204) << preflight;
  EXPECT_NE(preflight.find("Access-Control-Allow-Origin: http://127.0.0.1:" + std::to_string(web)), std::string::npos);
  const std::string listed = round_trip(ts.port(), get("/v1/records", origin));
  EXPECT_EQ(status_of(listed), 200);
  EXPECT_NE(listed.find("Access-Control-Allow-Origin: http://127.0.0.1:" + std::to_string(web)), std::string::npos);
  const std::string other = round_trip(ts.port(), get("/v1/records", "Origin: http://localhost:1\r\n"));
  EXPECT_EQ(other.find("Access-Control-Allow-Origin"), std::string::npos);
}
