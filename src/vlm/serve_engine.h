// The VLM backends of `edgeocr serve`: an engine::OcrEngine (src/engine/engine.h) over the Router.
// engine_factory.cpp maps --backend openai|vllm|hybrid here; all workers share one VLM client,
// so the in-flight cap and the circuit breaker are per server, not per worker.
#pragma once

#include "engine/engine.h"
#include "vlm/backend.h"

namespace edgeocr::vlm {

// One engine per job worker. VLM calls wait on the network, so the server runs more job workers
// than native engines (job_workers): `native_factory` builds `native_engines` native engines,
// shared by all job workers and held only while native OCR runs, so a VLM call never keeps the
// OCR engine from other requests. Required for hybrid, optional for openai (then a VLM failure
// is an HTTP error instead of a native fallback). VLM failures without fallback become ApiError
// 503 vlm_unavailable (with Retry-After while the breaker is open) / 502 vlm_rejected.
engine::EngineFactory make_serve_engine_factory(const VlmSettings& settings, engine::EngineFactory native_factory,
                                               int native_engines = 1);

// Job workers for a VLM backend: the native engines plus one per VLM request allowed in flight.
int job_workers(const VlmSettings& settings, int native_engines);

}  // namespace edgeocr::vlm
