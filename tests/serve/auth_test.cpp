#include "serve/auth.h"

#include <gtest/gtest.h>

#include "common/base64.h"
#include "settings/settings.h"

using namespace edgeocr::serve;

namespace {
std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + edgeocr::common::base64_encode(user + ":" + password);
}
}  // namespace

TEST(Auth, PasswordHashesAreSaltedAndVerify) {
  const auto a = hash_password("s3cret", 2000);
  const auto b = hash_password("s3cret", 2000);
  EXPECT_NE(a, b);  // different salts
  EXPECT_EQ(a.rfind("pbkdf2-sha256$2000$", 0), 0u);
  EXPECT_TRUE(verify_password("s3cret", a));
  EXPECT_FALSE(verify_password("s3cret ", a));
  EXPECT_FALSE(verify_password("s3cret", "plain"));
}

TEST(Auth, JsonFileWithKeysAndUsers) {
  const auto [key, entry] = new_api_key();
  const std::string text = R"({"api_keys": [{"name": "till", "sha256": ")" + entry + R"("}],
    "users": [{"name": "alice", "password": ")" + hash_password("wonder", 2000) + R"("},
              {"name": "audit", "password": ")" + hash_password("look", 2000) + R"(", "read_only": true}]})";
  const auto auth = Authenticator::from_text(text, "auth.json");
  EXPECT_EQ(auth.key_count(), 1u);
  EXPECT_EQ(auth.user_count(), 2u);
  auto p = auth.authenticate("Bearer " + key);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "till");
  EXPECT_FALSE(auth.authenticate("Bearer " + key + "x"));
  EXPECT_FALSE(auth.authenticate(""));
  p = auth.authenticate(basic("alice", "wonder"));
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->read_only);
  EXPECT_TRUE(auth.authenticate(basic("alice", "wonder")));  // cached path
  EXPECT_FALSE(auth.authenticate(basic("alice", "wrong")));
  EXPECT_FALSE(auth.authenticate(basic("nobody", "wonder")));
  EXPECT_FALSE(auth.authenticate("Basic !!!notbase64"));
  p = auth.authenticate(basic("audit", "look"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->read_only);
}

TEST(Auth, TomlFile) {
  const std::string text = "[api_keys]\npos = \"" + api_key_entry("k-123") + "\"\n[users]\nbob = \"" +
                           hash_password("pw", 2000) + "\"\n[read_only]\nbob = true\n";
  const auto auth = Authenticator::from_text(text, "auth.toml");
  EXPECT_TRUE(auth.authenticate("Bearer k-123"));
  auto p = auth.authenticate(basic("bob", "pw"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->read_only);
}

TEST(Auth, RejectsPlaintextSecretsAndEmptyFiles) {
  EXPECT_THROW(Authenticator::from_text(R"({"users": [{"name": "a", "password": "hunter2"}]})", "f"), edgeocr::settings::ConfigError);
  EXPECT_THROW(Authenticator::from_text(R"({"api_keys": [{"name": "a", "sha256": "short"}]})", "f"), edgeocr::settings::ConfigError);
  EXPECT_THROW(Authenticator::from_text("{}", "f"), edgeocr::settings::ConfigError);
  EXPECT_THROW(Authenticator::from_text("{not json", "f"), edgeocr::settings::ConfigError);
  EXPECT_THROW(Authenticator::from_text("[read_only]\nghost = true\n[api_keys]\nk = \"" + api_key_entry("x") + "\"\n", "f"),
               edgeocr::settings::ConfigError);
}
