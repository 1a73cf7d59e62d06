// The settings `edgeocr serve` reads and the checks the engine factory adds to them; the settings
// layer itself is tested in tests/settings.
#include <gtest/gtest.h>

#include "serve/engine_factory.h"

using namespace edgeocr::serve;
namespace settings = edgeocr::settings;

TEST(ServeSettings, ServeReadsEveryKeyButTheCollectorsAndResolvesItsDefaults) {
  const auto specs = serve_specs();
  for (const auto* spec : specs) EXPECT_NE(spec->key.rfind("collect.", 0), 0u) << spec->key;
  EXPECT_EQ(specs.size() + settings::specs_named({"collect."}).size(), settings::all_specs().size());
  const auto s = settings::resolve(specs, {}, [](const char*) -> const char* { return nullptr; });
  EXPECT_EQ(s.get_int("port"), 8000);
  EXPECT_EQ(s.get("backend"), "native");
  EXPECT_FALSE(s.is_set("sync.url"));
  EXPECT_EQ(job_workers(s), 1);
}

TEST(ServeSettings, DeviceCudaFailsWithAClearMessage) {
  try {
    check_device("cuda:0");
    FAIL() << "cuda:0 accepted";
  } catch (const settings::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA support"), std::string::npos);
  }
  EXPECT_NO_THROW(check_device("cpu"));
  EXPECT_THROW(check_device("tpu"), settings::ConfigError);
}
