#include "sync/envelope.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "process_util.h"
#include "sync/sync_client.h"

namespace edgeocr::sync {
namespace {

StoreKey fresh_key(const std::filesystem::path& dir, const std::string& name) {
  write_new_key_file(dir / name);
  return load_key_file(dir / name);
}

TEST(SyncEnvelope, RoundTripBindsStoreBatchAndKey) {
  testing::TempDir dir;
  StoreKey key = fresh_key(dir.path(), "a.key");
  EXPECT_EQ(key.key_id, key_fingerprint(key.bytes));
  Envelope env = seal(key, "shop-1", "batch-1", "{\"records\":[]}");
  Envelope parsed = envelope_from_json(envelope_to_json(env));
  EXPECT_EQ(open(key, parsed), "{\"records\":[]}");
  EXPECT_EQ(common::base64_decode(parsed.nonce_b64)->size(), 12u);

  Envelope other_store = parsed;
  other_store.store_id = "shop-2";
  EXPECT_THROW(open(key, other_store), EnvelopeError);
  Envelope other_batch = parsed;
  other_batch.batch_id = "batch-2";
  EXPECT_THROW(open(key, other_batch), EnvelopeError);
  Envelope other_key_id = parsed;
  other_key_id.key_id = "k2";
  EXPECT_THROW(open(key, other_key_id), EnvelopeError);
}

TEST(SyncEnvelope, FreshNonceEachTime) {
  testing::TempDir dir;
  StoreKey key = fresh_key(dir.path(), "a.key");
  EXPECT_NE(seal(key, "s", "b", "x").nonce_b64, seal(key, "s", "b", "x").nonce_b64);
}

TEST(SyncEnvelope, TamperingAndWrongKeyAreDetected) {
  testing::TempDir dir;
  StoreKey key = fresh_key(dir.path(), "a.key");
  StoreKey other = fresh_key(dir.path(), "b.key");
  Envelope env = seal(key, "shop-1", "batch-1", std::string(1000, 'r'));
  std::string bytes = *common::base64_decode(env.ciphertext_b64);
  for (size_t position : {size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
    std::string flipped = bytes;
    flipped[position] = static_cast<char>(flipped[position] ^ 0x01);
    Envelope tampered = env;
    tampered.ciphertext_b64 = common::base64_encode(flipped);
    EXPECT_THROW(open(key, tampered), EnvelopeError) << "flipped byte " << position;
  }
  Envelope wrong = env;
  EXPECT_THROW(open(other, wrong), EnvelopeError);
}

TEST(SyncEnvelope, PlaintextAndMalformedBodiesAreRejected) {
  EXPECT_THROW(envelope_from_json("{\"store_id\":\"s\",\"records\":[{\"record_id\":\"r\"}]}"), EnvelopeError);
  EXPECT_THROW(envelope_from_json("not json"), EnvelopeError);
  EXPECT_THROW(envelope_from_json("[1,2]"), EnvelopeError);
  nlohmann::json bad_store = {{"version", 1}, {"store_id", "../etc"}, {"batch_id", "b"},
                              {"key_id", "k"}, {"nonce", "AAAA"}, {"ciphertext", "AAAA"}};
  EXPECT_THROW(envelope_from_json(bad_store.dump()), EnvelopeError);
  // Bad base64 in a well-formed envelope is an EnvelopeError when it is opened.
  nlohmann::json bad_base64 = {{"version", 1}, {"store_id", "s"}, {"batch_id", "b"},
                               {"key_id", "k"}, {"nonce", "ab!d"}, {"ciphertext", "abc"}};
  StoreKey key{};
  EXPECT_THROW(open(key, envelope_from_json(bad_base64.dump())), EnvelopeError);
}

TEST(SyncEnvelope, KeyFilePermissionsAndFormatAreChecked) {
  testing::TempDir dir;
  auto path = dir.path() / "k.key";
  write_new_key_file(path);
  EXPECT_THROW(write_new_key_file(path), EnvelopeError) << "must not overwrite";
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ::chmod(path.c_str(), 0644);
  try {
    load_key_file(path);
    FAIL() << "a world-readable key must be refused";
  } catch (const EnvelopeError& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos);
  }
  auto short_key = dir.path() / "short.key";
  std::ofstream(short_key) << "abcd\n";
  ::chmod(short_key.c_str(), 0600);
  EXPECT_THROW(load_key_file(short_key), EnvelopeError);
  EXPECT_THROW(load_key_file(dir.path() / "missing.key"), EnvelopeError);
}

TEST(SyncConfig, ReadsKeysAndRejectsBadValues) {
  testing::TempDir dir;
  auto file = dir.path() / "edgeocr.toml";
  std::ofstream(file) << "port = 8000\n[sync]\nurl = \"https://ho.example:9443/edge\"  # comment\n"
                         "store_id = 'shop-7'\ninterval = 15\nbatch_size = 50\nimages = \"thumbnail\"\n";
  const auto sync_specs = settings::specs_named({"sync."});
  const auto no_env = [](const char*) -> const char* { return nullptr; };
  const auto resolve = [&](const std::map<std::string, std::string>& flags) {
    return SyncConfig::from_settings(settings::resolve(sync_specs, flags, no_env));
  };
  SyncConfig config = resolve({{"config", file.string()}});
  EXPECT_EQ(config.url, "https://ho.example:9443/edge");
  EXPECT_EQ(config.store_id, "shop-7");
  EXPECT_DOUBLE_EQ(config.interval_s, 15);
  EXPECT_EQ(config.batch_size, 50);
  EXPECT_EQ(config.images, ImageMode::thumbnail);
  EXPECT_DOUBLE_EQ(resolve({}).max_backoff_s, 300);  // the declared default
  EXPECT_THROW(resolve({{"sync.images", "some"}}), settings::ConfigError);
  EXPECT_THROW(resolve({{"sync.batch_size", "0"}}), settings::ConfigError);
  EXPECT_THROW(resolve({{"sync.interval", "soon"}}), settings::ConfigError);
  SyncConfig plain_http = resolve({{"sync.url", "http://ho:80"}, {"sync.store_id", "s"}, {"sync.key_file", "k"},
                                   {"sync.ca", file.string()}});
  EXPECT_THROW(plain_http.validate(), std::invalid_argument);
}

TEST(SyncBackoff, GrowsExponentiallyWithJitterAndIsCapped) {
  for (int attempt = 1; attempt <= 12; ++attempt) {
    double nominal = std::min(60.0, std::pow(2.0, attempt - 1));
    for (int i = 0; i < 20; ++i) {
      double d = backoff_delay_s(attempt, 1.0, 60.0);
      EXPECT_GE(d, nominal / 2 - 1e-9);
      EXPECT_LE(d, nominal + 1e-9);
    }
  }
}

}  // namespace
}  // namespace edgeocr::sync
