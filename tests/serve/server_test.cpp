// The HTTP service over real HTTP on 127.0.0.1 with a fake engine: routing, errors, archive,
// auth, TLS, back-pressure, timeouts, metrics and graceful stop. (The real pipeline is exercised
// by native_server_test.cpp.)
#include <future>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocr/decode.h"
#include "ocr/pages.h"
#include "serve_test_support.h"

using namespace edgeocr::serve;
using namespace edgeocr::serve::fixtures;
using json = nlohmann::json;

namespace {

ServerOptions fake_options(std::shared_ptr<std::atomic<int>> delay = std::make_shared<std::atomic<int>>(0)) {
  ServerOptions o;
  o.engine_factory = fake_engine_factory(std::move(delay));
  return o;
}

httplib::MultipartFormDataItems image_form(const std::string& bytes, const std::string& type = "image/png") {
  return {{"file", bytes, "image.png", type}};
}

json body_json(const httplib::Result& res) { return json::parse(res->body); }

void expect_error(const httplib::Result& res, int status, const std::string& code) {
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, status) << res->body;
  const auto j = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << res->body;
  EXPECT_EQ(j["error"]["code"], code) << res->body;
  EXPECT_TRUE(j["error"]["message"].is_string());
}

}  // namespace

// What the server checks of an upload before queueing it: its kind (stored extension, served
// MIME type) and, for images, the size in the header.
TEST(UploadCheck, KindAndHeaderSize) {
  const auto span_of = [](const std::string& s) { return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  const std::string png = png_header(640, 480);
  auto type = edgeocr::ocr::file_type(edgeocr::ocr::document_format(span_of(png)));
  ASSERT_TRUE(type);
  EXPECT_EQ(type->extension, "png");
  EXPECT_EQ(edgeocr::ocr::probe_header(span_of(png))->width, 640);
  EXPECT_EQ(edgeocr::ocr::probe_header(span_of(png))->height, 480);
  const std::string jpeg = read_file(shared_dir() + "/eval/sroie/img/000.jpg");
  type = edgeocr::ocr::file_type(edgeocr::ocr::document_format(span_of(jpeg)));
  ASSERT_TRUE(type);
  EXPECT_EQ(type->extension, "jpg");
  EXPECT_EQ(edgeocr::ocr::mime_for_extension(type->extension), "image/jpeg");
  EXPECT_GT(edgeocr::ocr::probe_header(span_of(jpeg))->width, 100);
  const std::string pdf = "%PDF-1.4\n";
  EXPECT_EQ(edgeocr::ocr::file_type(edgeocr::ocr::document_format(span_of(pdf)))->mime, "application/pdf");
  EXPECT_FALSE(edgeocr::ocr::file_type(edgeocr::ocr::document_format(span_of(std::string("hello, not an image")))));
  EXPECT_EQ(edgeocr::ocr::mime_for_extension("exe"), "application/octet-stream");
}

TEST(Server, OcrStoresRecordThatCanBeReadListedAndDeleted) {
  TestServer ts(fake_options());
  auto c = ts.client();
  const std::string image = png_header(20, 10, "first");
  auto res = c.Post("/ocr", image_form(image));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = body_json(res);
  EXPECT_EQ(j["text"], "FAKE " + std::to_string(image.size()) + " bytes");
  ASSERT_TRUE(j["record_id"].is_string());
  EXPECT_FALSE(res->get_header_value("X-Request-Id").empty());
  const std::string id = j["record_id"];

  res = c.Get(("/v1/records/" + id).c_str());
  ASSERT_EQ(res->status, 200);
  j = body_json(res);
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["result"]["text"], "FAKE " + std::to_string(image.size()) + " bytes");
  EXPECT_EQ(j["image_url"], "/v1/records/" + id + "/image");

  res = c.Get(("/v1/records/" + id + "/image").c_str());
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->body, image);
  EXPECT_EQ(res->get_header_value("Content-Type"), "image/png");
  res = c.Get(("/v1/records/" + id + "?image=1").c_str());
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->body, image);

  res = c.Get("/v1/records");
  ASSERT_EQ(res->status, 200);
  j = body_json(res);
  EXPECT_EQ(j["total"], 1);
  EXPECT_EQ(j["records"][0]["id"], id);

  res = c.Delete(("/v1/records/" + id).c_str());
  ASSERT_EQ(res->status, 200);
  expect_error(c.Get(("/v1/records/" + id).c_str()), 404, "not_found");
  expect_error(c.Delete(("/v1/records/" + id).c_str()), 404, "not_found");
  expect_error(c.Get("/v1/records/not-an-id"), 404, "not_found");
  EXPECT_EQ(ts.server().archive().count(), 0);
}

TEST(Server, V1OcrAcceptsRawBodiesTasksAndStoreFalse) {
  TestServer ts(fake_options());
  auto c = ts.client();
  const std::string image = png_header(20, 10, "raw");
  auto res = c.Post("/v1/ocr?task=parse&store=false", image, "image/png");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = body_json(res);
  EXPECT_TRUE(j["record_id"].is_null());
  EXPECT_EQ(j["markdown"], "FAKE " + std::to_string(image.size()) + " bytes\n");
  EXPECT_EQ(ts.server().archive().count(), 0);

  httplib::MultipartFormDataItems form = image_form(image);
  form.push_back({"task", "spot", "", ""});
  form.push_back({"store", "true", "", ""});
  res = c.Post("/v1/ocr", form);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(body_json(res)["record_id"].is_string());
  EXPECT_TRUE(body_json(res)["timings_ms"].contains("queue_wait"));
  EXPECT_EQ(ts.server().archive().count(), 1);

  expect_error(c.Post("/v1/ocr?task=translate", image, "image/png"), 400, "bad_parameter");
  expect_error(c.Post("/v1/ocr?store=maybe", image, "image/png"), 400, "bad_parameter");
}

TEST(Server, ErrorStatusesAreJson) {
  ServerOptions o = fake_options();
  o.max_body_bytes = 64 * 1024;
  o.max_pixels = 1000 * 1000;
  TestServer ts(o);
  auto c = ts.client();
  expect_error(c.Post("/ocr", "hello", "text/plain"), 415, "unsupported_media_type");
  expect_error(c.Post("/v1/ocr", "hello", "text/plain"), 415, "unsupported_media_type");
  expect_error(c.Post("/ocr", image_form("plain text", "text/plain")), 415, "unsupported_media_type");
  expect_error(c.Post("/ocr", httplib::MultipartFormDataItems{{"image", png_header(2, 2), "a.png", "image/png"}}), 400,
               "missing_file");
  expect_error(c.Post("/ocr", image_form("definitely not an image", "image/jpeg")), 400, "bad_image");
  expect_error(c.Post("/ocr", image_form("", "image/jpeg")), 400, "bad_image");
  expect_error(c.Post("/ocr", image_form(png_header(5000, 5000))), 413, "image_too_large");
  expect_error(c.Post("/v1/ocr", png_header(10, 10, std::string(100 * 1024, 'x')), "image/png"), 413,
               "payload_too_large");
  expect_error(c.Get("/no/such/route"), 404, "not_found");
  expect_error(c.Get("/v1/records?limit=0"), 400, "bad_parameter");
  expect_error(c.Get("/v1/records?limit=ten"), 400, "bad_parameter");
  expect_error(c.Get("/v1/records?from=yesterday"), 400, "bad_parameter");
  expect_error(c.Get("/v1/records?cursor=zzz"), 400, "bad_parameter");
  expect_error(c.Get("/static/nope.js"), 404, "not_found");
}

TEST(Server, RecordsPageSearchDateFilterAndCsv) {
  TestServer ts(fake_options());
  auto c = ts.client();
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto res = c.Post("/ocr", image_form(png_header(10, 10, std::string(i + 1, 'p'))));
    ASSERT_EQ(res->status, 200);
    ids.insert(body_json(res)["record_id"].get<std::string>());
  }
  std::set<std::string> seen;
  std::string path = "/v1/records?limit=2";
  for (int page = 0; page < 5; ++page) {
    auto res = c.Get(path.c_str());
    ASSERT_EQ(res->status, 200);
    auto j = body_json(res);
    EXPECT_EQ(j["total"], 5);
    for (const auto& r : j["records"]) seen.insert(r["id"].get<std::string>());
    if (j["next_cursor"].is_null()) break;
    path = "/v1/records?limit=2&cursor=" + j["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen, ids);
  // q searches the text; the fake engine's text names the image size, unique per tag length.
  const std::string size = std::to_string(png_header(10, 10, "p").size());
  auto res = c.Get(("/v1/records?q=FAKE%20" + size + "%20bytes").c_str());
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(body_json(res)["total"], 1);
  res = c.Get("/v1/records?to=2000-01-01");
  EXPECT_EQ(body_json(res)["total"], 0);
  res = c.Get("/v1/records?from=2000-01-01&offset=3");
  EXPECT_EQ(body_json(res)["total"], 5);
  EXPECT_EQ(body_json(res)["records"].size(), 2u);
  res = c.Get("/v1/records.csv");
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  size_t rows = 0;
  for (char ch : res->body) rows += ch == '\n';
  EXPECT_EQ(rows, 6u);  // header + 5
  for (const auto& id : ids) EXPECT_NE(res->body.find(id), std::string::npos);
}

TEST(Server, HealthReadyMetricsAndPage) {
  TestServer ts(fake_options());
  auto c = ts.client();
  auto res = c.Get("/healthz");
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(body_json(res)["status"], "ok");
  res = c.Get("/readyz");
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(body_json(res)["status"], "ready");
  ASSERT_EQ(c.Post("/ocr", image_form(png_header(4, 4)))->status, 200);
  // httplib counts a request (its logger) just after sending the response: allow it a moment.
  for (int i = 0; i < 50; ++i) {
    res = c.Get("/metrics");
    ASSERT_EQ(res->status, 200);
    if (res->body.find("route=\"POST /ocr\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(res->body.find("edgeocr_http_requests_total{route=\"POST /ocr\",status=\"200\"} 1"), std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find("edgeocr_stage_duration_seconds_bucket{stage=\"det\""), std::string::npos);
  EXPECT_NE(res->body.find("edgeocr_stage_duration_seconds_count{stage=\"queue_wait\"} 1"), std::string::npos);
  EXPECT_NE(res->body.find("edgeocr_records_stored 1"), std::string::npos);
  EXPECT_NE(res->body.find("edgeocr_queue_depth 0"), std::string::npos);
  res = c.Get("/");
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(res->body.find("<html"), std::string::npos);
}

TEST(Server, EveryOpenApiRouteExists) {
  TestServer ts(fake_options());
  auto c = ts.client();
  auto created = c.Post("/ocr", image_form(png_header(4, 4)));
  ASSERT_EQ(created->status, 200);
  const std::string id = body_json(created)["record_id"];
  auto res = c.Get("/openapi.json");
  ASSERT_EQ(res->status, 200);
  const auto doc = body_json(res);
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  int checked = 0;
  for (const auto& [path_template, methods] : doc["paths"].items()) {
    const std::string path = std::regex_replace(path_template, std::regex("\\{id\\}"), id);
    for (const auto& [method, op] : methods.items()) {
      if (method == "delete") continue;  // checked below, after the GETs on the same record
      ASSERT_TRUE(method == "get" || method == "post") << "unexpected method " << method;
      auto r = method == "get" ? c.Get(path.c_str()) : c.Post(path.c_str(), image_form(png_header(4, 4)));
      ASSERT_TRUE(r) << method << " " << path;
      EXPECT_EQ(r->status, 200) << method << " " << path << ": " << r->body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 11);
  EXPECT_TRUE(doc["paths"]["/v1/records/{id}"].contains("delete"));
  EXPECT_EQ(c.Delete(("/v1/records/" + id).c_str())->status, 200);
}

TEST(Server, FullQueueAnswers503WithRetryAfterThenRecovers) {
  auto delay = std::make_shared<std::atomic<int>>(600);
  ServerOptions o = fake_options(delay);
  o.workers = 1;
  o.queue_length = 1;
  TestServer ts(o);
  // 1 running + 1 waiting fill the server; the rest must be refused at once.
  std::vector<std::future<httplib::Result>> calls;
  for (int i = 0; i < 5; ++i) {
    calls.push_back(std::async(std::launch::async, [&ts, i] {
      auto c = ts.client();
      return c.Post("/ocr", image_form(png_header(4, 4, std::to_string(i))));
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int ok = 0, busy = 0;
  for (auto& f : calls) {
    auto res = f.get();
    ASSERT_TRUE(res);
    if (res->status == 200) ++ok;
    if (res->status == 503) {
      ++busy;
      expect_error(res, 503, "queue_full");
      const int retry_after = std::stoi(res->get_header_value("Retry-After"));
      EXPECT_GE(retry_after, 1);
    }
  }
  EXPECT_EQ(ok + busy, 5);
  EXPECT_GE(busy, 2);
  EXPECT_GE(ok, 2);
  delay->store(0);
  EXPECT_EQ(ts.client().Post("/ocr", image_form(png_header(4, 4)))->status, 200);
}

TEST(Server, SlowInferenceTimesOutWith504AndIsNotStored) {
  auto delay = std::make_shared<std::atomic<int>>(1500);
  ServerOptions o = fake_options(delay);
  o.request_timeout_s = 0.3;
  TestServer ts(o);
  const auto start = std::chrono::steady_clock::now();
  expect_error(ts.client().Post("/ocr", image_form(png_header(4, 4))), 504, "timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(ts.server().archive().count(), 0);
}

TEST(Server, GracefulStopFinishesTheRunningRequest) {
  // Generous margins: on a loaded 2-core machine the second request must be queued (not
  // started) before stop() while the first is still running.
  auto delay = std::make_shared<std::atomic<int>>(2500);
  TestServer ts(fake_options(delay));
  auto running = std::async(std::launch::async, [&ts] {
    return ts.client().Post("/ocr", image_form(png_header(4, 4)));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  auto waiting = std::async(std::launch::async, [&ts] {
    return ts.client().Post("/ocr", image_form(png_header(4, 4, "second")));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ts.stop();  // returns only after the running request completed
  auto res = running.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  expect_error(waiting.get(), 503, "shutting_down");  // queued, not started: told to retry
  EXPECT_FALSE(ts.client().Get("/healthz"));  // no longer accepting
  EXPECT_EQ(ts.server().archive().count(), 1);
}

TEST(Server, AuthProtectsEverythingButHealthz) {
  const auto [key, entry] = new_api_key();
  const std::string auth_text = R"({"api_keys": [{"name": "till", "sha256": ")" + entry + R"("}],
    "users": [{"name": "alice", "password": ")" + hash_password("wonder", 2000) + R"("},
              {"name": "audit", "password": ")" + hash_password("look", 2000) + R"(", "read_only": true}]})";
  ServerOptions o = fake_options();
  o.auth = Authenticator::from_text(auth_text, "test");
  TestServer ts(o);
  auto c = ts.client();
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  for (const char* path : {"/", "/readyz", "/metrics", "/openapi.json", "/v1/records", "/v1/records.csv"}) {
    auto res = c.Get(path);
    expect_error(res, 401, "unauthorized");
    EXPECT_NE(res->get_header_value("WWW-Authenticate").find("Basic"), std::string::npos);
  }
  expect_error(c.Post("/ocr", image_form(png_header(4, 4))), 401, "unauthorized");

  httplib::Headers wrong = {{"Authorization", "Bearer nope"}};
  expect_error(c.Get("/v1/records", wrong), 401, "unauthorized");

  httplib::Headers bearer = {{"Authorization", "Bearer " + key}};
  EXPECT_EQ(c.Post("/ocr", bearer, image_form(png_header(4, 4)))->status, 200);
  EXPECT_EQ(c.Get("/v1/records", bearer)->status, 200);
  EXPECT_EQ(c.Get("/", bearer)->status, 200);

  c.set_basic_auth("alice", "wonder");
  EXPECT_EQ(c.Get("/v1/records")->status, 200);
  c.set_basic_auth("alice", "guess");
  expect_error(c.Get("/v1/records"), 401, "unauthorized");

  c.set_basic_auth("audit", "look");
  auto listing = c.Get("/v1/records");
  ASSERT_EQ(listing->status, 200);
  const std::string id = body_json(listing)["records"][0]["id"];
  expect_error(c.Post("/ocr", image_form(png_header(4, 4))), 403, "forbidden");
  expect_error(c.Delete(("/v1/records/" + id).c_str()), 403, "forbidden");
}

TEST(Server, TlsWithSelfSignedCertificate) {
  TempDir certs;
  ASSERT_TRUE(make_self_signed_cert(certs.path())) << "openssl CLI failed";
  ServerOptions o = fake_options();
  o.tls_cert = (certs.path() / "cert.pem").string();
  o.tls_key = (certs.path() / "key.pem").string();
  TestServer ts(o);
  httplib::SSLClient c("127.0.0.1", ts.port());
  c.set_ca_cert_path(o.tls_cert.c_str());
  c.enable_server_certificate_verification(true);
  auto res = c.Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  res = c.Post("/ocr", image_form(png_header(4, 4)));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // Plain HTTP to the TLS port gets no HTTP answer.
  httplib::Client plain("127.0.0.1", ts.port());
  plain.set_read_timeout(2);
  auto plain_res = plain.Get("/healthz");
  EXPECT_TRUE(!plain_res || plain_res->status != 200);
}

TEST(Server, BadTlsFilesFailAtStart) {
  TempDir dir;
  std::ofstream(dir.path() / "cert.pem") << "not a cert";
  std::ofstream(dir.path() / "key.pem") << "not a key";
  ServerOptions o = fake_options();
  o.archive.data_dir = dir.path() / "data";
  o.tls_cert = (dir.path() / "cert.pem").string();
  o.tls_key = (dir.path() / "key.pem").string();
  EXPECT_THROW(Server{o}, std::invalid_argument);
  o.tls_key.clear();
  EXPECT_THROW(Server{o}, std::invalid_argument);
}

TEST(Server, OriginalPythonClientGetsText) {
  TestServer ts(fake_options());
  const std::string image = shared_dir() + "/eval/sroie/img/000.jpg";
  const std::string cmd = "NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 /usr/bin/python3 " + source_dir() +
                          "/tests/serve/seed_client.py http://127.0.0.1:" + std::to_string(ts.port()) + "/ocr " +
                          image + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << out;
  const auto size = std::filesystem::file_size(image);
  EXPECT_EQ(out, "FAKE " + std::to_string(size) + " bytes\n");
}

TEST(Server, PortInUseIsReported) {
  TestServer first(fake_options());
  TempDir dir;
  ServerOptions o = fake_options();
  o.archive.data_dir = dir.path() / "data";
  o.host = "127.0.0.1";
  o.port = first.port();
  Server second(std::move(o));
  EXPECT_THROW(second.bind(), std::runtime_error);
}

namespace {

// Answers a fixed response: a reading with per-stage timings, or (timings unset) an answer like
// the VLM's, which has none.
class FixedEngine : public edgeocr::engine::OcrEngine {
 public:
  explicit FixedEngine(std::optional<edgeocr::ocr::StageTimings> timings) : timings_(timings) {}
  edgeocr::engine::OcrResponse recognize(const edgeocr::engine::OcrRequest&) override {
    edgeocr::engine::OcrResponse out;
    out.text = "TOTAL 36.80";
    out.timings = timings_;
    out.fields = std::map<std::string, json>{{"total", "36.80"}};
    return out;
  }

 private:
  std::optional<edgeocr::ocr::StageTimings> timings_;
};

}  // namespace

TEST(Server, EngineTimingsFeedStageMetricsAndTheResponseIsArchivedAsSent) {
  ServerOptions o;
  o.engine_factory = [] { return std::make_unique<FixedEngine>(edgeocr::ocr::StageTimings{0, 0, 0, 250, 0, 500}); };
  TestServer ts(std::move(o));
  auto c = ts.client();
  auto res = c.Post("/v1/ocr", image_form(png_header(4, 4)));
  ASSERT_EQ(res->status, 200) << res->body;
  const json reply = body_json(res);
  EXPECT_EQ(reply["timings_ms"]["rec"], 250);
  EXPECT_TRUE(reply["timings_ms"].contains("queue_wait"));
  EXPECT_EQ(reply["fields"]["total"], "36.80");
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("edgeocr_stage_duration_seconds_sum{stage=\"rec\"} 0.25\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("edgeocr_stage_duration_seconds_sum{stage=\"total\"} 0.5\n"), std::string::npos);

  // The record keeps the response as sent, less its own id; its fields are the response's.
  const auto record = ts.server().archive().get(reply["record_id"].get<std::string>());
  ASSERT_TRUE(record);
  json stored = reply;
  stored.erase("record_id");
  EXPECT_EQ(json::parse(record->result_json), stored);
  EXPECT_EQ(json::parse(record->fields_json), (json{{"total", "36.80"}}));
  EXPECT_EQ(record->text, "TOTAL 36.80");
}

TEST(Server, ResponseWithoutTimingsGetsNoStageMetricsOrQueueWait) {
  ServerOptions o;
  o.engine_factory = [] { return std::make_unique<FixedEngine>(std::nullopt); };
  TestServer ts(std::move(o));
  auto c = ts.client();
  auto res = c.Post("/v1/ocr", image_form(png_header(4, 4)));
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_FALSE(body_json(res).contains("timings_ms"));
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_EQ(metrics.find("stage=\"rec\""), std::string::npos);
  EXPECT_NE(metrics.find("edgeocr_stage_duration_seconds_count{stage=\"queue_wait\"} 1"), std::string::npos);
}
