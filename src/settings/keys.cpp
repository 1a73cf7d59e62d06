// Every setting of `edgeocr`, declared once. To add one, append a row: its flag, environment
// variable, config key, `--help` line and packaged-config entry follow from the row, and each
// command picks it up by key (settings::specs_named).
#include "ocr/languages.h"
#include "ocr/model_set.h"
#include "settings/settings.h"

namespace edgeocr::settings {

const std::vector<Spec>& all_specs() {
  using T = Type;
  constexpr double kMinPositive = 1e-3;  // "must be > 0" for seconds and sizes
  static const std::vector<Spec> specs = {
      {"config", "--config", "EDGEOCR_CONFIG", T::String, "", "config file (TOML)"},
      {"host", "--host", "EDGEOCR_HOST", T::String, "",
       "address to listen on (default 127.0.0.1; 0.0.0.0 when an auth file is configured)"},
      {"port", "--port", "EDGEOCR_PORT", T::Int, "8000", "TCP port", 1, 65535},
      {"model_path", "--model-path", "EDGEOCR_MODEL_PATH", T::String, "",
       "folder with the OCR models (unset: the first of ./models, /usr/share/edgeocr/models, "
       "../share/edgeocr/models beside the binary)"},
      {"models", "--models", "EDGEOCR_MODELS", T::String, std::string(ocr::kDefaultModelSet),
       "model set: v4 | v5 | v6-small | v6-tiny | v6-small-v4det (requests may name another with `models`)"},
      {"precision", "--precision", "EDGEOCR_PRECISION", T::String, std::string(ocr::kDefaultPrecision),
       "int8: models with an int8 table beside them (MODEL.int8) run in int8 on CPUs with VNNI | fp32: all in float32"},
      {"lang", "--lang", "EDGEOCR_LANG", T::String, std::string(ocr::kDefaultLanguages),
       "languages, Tesseract style: chi_sim+eng (PP-OCR), ara, rus, kor, ... (Tesseract packs), auto; requests may "
       "name others with `lang`"},
      {"fields_model", "--fields-model", "EDGEOCR_FIELDS_MODEL", T::String, "",
       "learned receipt field model (edgeocr fields train); empty = rules only"},
      {"device", "--device", "EDGEOCR_DEVICE", T::String, "cpu", "inference device (only cpu is compiled in)"},
      {"backend", "--backend", "EDGEOCR_BACKEND", T::String, "native",
       "OCR backend (vllm = openai; hybrid: native first, the VLM when needed)", {}, {},
       {"native", "openai", "vllm", "hybrid"}},
      {"threads", "--threads", "EDGEOCR_THREADS", T::Int, "2", "inference threads per worker", 1, 256},
      {"workers", "--workers", "EDGEOCR_WORKERS", T::Int, "1", "inference workers (they share one copy of the models)", 1, 256},
      {"data_dir", "--data-dir", "EDGEOCR_DATA_DIR", T::String, "./data", "archive folder (SQLite + images)"},
      {"tls_cert", "--tls-cert", "EDGEOCR_TLS_CERT", T::String, "", "TLS certificate (PEM); enables HTTPS"},
      {"tls_key", "--tls-key", "EDGEOCR_TLS_KEY", T::String, "", "TLS private key (PEM)"},
      {"auth_file", "--auth-file", "EDGEOCR_AUTH_FILE", T::String, "",
       "auth file (JSON or TOML: API keys and users); every route but /healthz then needs auth"},
      {"log_level", "--log-level", "EDGEOCR_LOG_LEVEL", T::String, "info", "log level", {}, {},
       {"trace", "debug", "info", "warn", "error"}},
      {"web_port", "--web-port", "EDGEOCR_WEB_PORT", T::Int, "0",
       "also serve the web page (only the page and its assets) on this port, e.g. 7860; 0 = off", 0, 65535},

      {"limits.max_body_mb", "--max-body-mb", "EDGEOCR_MAX_BODY_MB", T::Float, "20", "largest request body (MB) -> 413",
       kMinPositive, {}},
      {"limits.max_pixels", "--max-pixels", "EDGEOCR_MAX_PIXELS", T::Int, "40000000",
       "largest image (width*height) -> 413", 1, {}},
      {"limits.queue_length", "--queue-length", "EDGEOCR_QUEUE_LENGTH", T::Int, "16",
       "jobs waiting for a worker before 503 + Retry-After", 1, {}},
      {"limits.request_timeout_s", "--request-timeout", "EDGEOCR_REQUEST_TIMEOUT", T::Float, "60",
       "seconds a request may wait + run before 504", kMinPositive, {}},
      {"limits.read_timeout_s", "--read-timeout", "EDGEOCR_READ_TIMEOUT", T::Int, "15",
       "deadline for a whole request body (s)", 1, {}},
      {"limits.write_timeout_s", "--write-timeout", "EDGEOCR_WRITE_TIMEOUT", T::Int, "15",
       "deadline for writing a whole response (s)", 1, {}},
      {"limits.header_timeout_s", "--header-timeout", "EDGEOCR_HEADER_TIMEOUT", T::Float, "10",
       "deadline for a whole request line + headers (s)", kMinPositive, {}},
      {"limits.keep_alive_timeout_s", "--keep-alive-timeout", "EDGEOCR_KEEP_ALIVE_TIMEOUT", T::Float, "5",
       "idle time before a keep-alive connection is closed (s)", kMinPositive, {}},
      {"limits.max_header_kb", "--max-header-kb", "EDGEOCR_MAX_HEADER_KB", T::Int, "16",
       "largest request line + headers (KiB) -> 431", 1, {}},
      {"limits.max_connections", "--max-connections", "EDGEOCR_MAX_CONNECTIONS", T::Int, "256",
       "open connections; more get an immediate 503", 1, {}},

      // The OpenAI-compatible VLM backend (src/vlm): `serve --backend openai|hybrid` and `edgeocr vlm`.
      {"vlm.url", "--vlm-url", "EDGEOCR_VLM_URL", T::String, "http://127.0.0.1:8001/v1",
       "VLM server (vLLM / llama-server), OpenAI-compatible base URL"},
      {"vlm.model", "--vlm-model", "EDGEOCR_VLM_MODEL", T::String, "tencent/HunyuanOCR", "VLM model name"},
      {"vlm.key_file", "--vlm-key-file", "EDGEOCR_VLM_KEY_FILE", T::String, "", "file with the VLM API key (Bearer)"},
      {"vlm.timeout", "--vlm-timeout", "EDGEOCR_VLM_TIMEOUT", T::Float, "60", "seconds per VLM attempt", kMinPositive, {}},
      {"vlm.max_inflight", "--vlm-max-inflight", "EDGEOCR_VLM_MAX_INFLIGHT", T::Int, "4", "VLM requests in flight", 1, {}},
      {"vlm.min_confidence", "--vlm-min-confidence", "EDGEOCR_VLM_MIN_CONFIDENCE", T::Float, "0.6",
       "hybrid: pages with a lower mean line confidence go to the VLM", 0, 1},
      {"vlm.low_confidence_routing", "--vlm-low-confidence-routing", "EDGEOCR_VLM_LOW_CONFIDENCE_ROUTING", T::Bool,
       "true", "hybrid: send low-confidence pages to the VLM"},
      {"vlm.retries", "--vlm-retries", "EDGEOCR_VLM_RETRIES", T::Int, "3",
       "attempts per VLM request (429/5xx/connection; 1 = no retry)", 1, {}},
      {"vlm.max_tokens", "--vlm-max-tokens", "EDGEOCR_VLM_MAX_TOKENS", T::Int, "16384", "max_tokens per VLM answer", 1, {}},
      {"vlm.top_k", "--vlm-top-k", "EDGEOCR_VLM_TOP_K", T::Int, "1", "top_k sent to the VLM (model card: 1)", 1, {}},
      {"vlm.repetition_penalty", "--vlm-repetition-penalty", "EDGEOCR_VLM_REPETITION_PENALTY", T::Float, "1.0",
       "repetition_penalty sent to the VLM (model card: 1.0 for v1.0, 1.08 for v1.5)", 0.5, 2.0},
      {"vlm.language", "--vlm-language", "EDGEOCR_VLM_LANGUAGE", T::String, "zh",
       "VLM prompt language when the request has no text of its own", {}, {}, {"zh", "en"}},
      {"vlm.breaker_threshold", "--vlm-breaker-threshold", "EDGEOCR_VLM_BREAKER_THRESHOLD", T::Int, "5",
       "consecutive failed VLM requests that open the circuit breaker", 1, {}},
      {"vlm.breaker_cooldown", "--vlm-breaker-cooldown", "EDGEOCR_VLM_BREAKER_COOLDOWN", T::Float, "30",
       "seconds the open breaker refuses VLM requests before it tries one", kMinPositive, {}},

      // Store-and-forward sync to head office (src/sync); enabled when sync.url is set.
      {"sync.url", "--sync-url", "EDGEOCR_SYNC_URL", T::String, "", "head-office collector, https://host:port"},
      {"sync.ca", "--sync-ca", "EDGEOCR_SYNC_CA", T::String, "", "CA file that signs the collector's certificate"},
      {"sync.client_cert", "--sync-client-cert", "EDGEOCR_SYNC_CLIENT_CERT", T::String, "", "client certificate (mTLS)"},
      {"sync.client_key", "--sync-client-key", "EDGEOCR_SYNC_CLIENT_KEY", T::String, "", "client key (mTLS)"},
      {"sync.key_file", "--sync-key-file", "EDGEOCR_SYNC_KEY_FILE", T::String, "", "store key, 64 hex chars, mode 0600"},
      {"sync.key_id", "--sync-key-id", "EDGEOCR_SYNC_KEY_ID", T::String, "", "key id (default: key fingerprint)"},
      {"sync.store_id", "--sync-store-id", "EDGEOCR_SYNC_STORE_ID", T::String, "", "this shop's id at head office"},
      {"sync.interval", "--sync-interval", "EDGEOCR_SYNC_INTERVAL", T::Float, "30", "seconds between sync rounds",
       0.05, 86400},
      {"sync.batch_size", "--sync-batch-size", "EDGEOCR_SYNC_BATCH_SIZE", T::Int, "200", "records per batch", 1, 10000},
      {"sync.images", "--sync-images", "EDGEOCR_SYNC_IMAGES", T::String, "none", "images sent with the records", {}, {},
       {"none", "thumbnail", "full"}},
      {"sync.batch_bytes", "--sync-batch-bytes", "EDGEOCR_SYNC_BATCH_BYTES", T::Int, "8388608",
       "largest batch (payload + image bytes)", 1024, 1 << 30},
      {"sync.timeout", "--sync-timeout", "EDGEOCR_SYNC_TIMEOUT", T::Float, "30", "seconds per push (connect/read)", 0.1,
       3600},
      {"sync.max_backoff", "--sync-max-backoff", "EDGEOCR_SYNC_MAX_BACKOFF", T::Float, "300",
       "longest wait between failed rounds (a collector's Retry-After may ask for longer)", 0.1, 86400},

      // Retention on this machine (0 = keep forever); records head office has not acknowledged
      // are kept while sync is configured.
      {"retention.images_days", "--retention-images-days", "EDGEOCR_RETENTION_IMAGES_DAYS", T::Float, "0",
       "delete stored images of records older than this many days (0: keep)", 0, {}},
      {"retention.records_days", "--retention-records-days", "EDGEOCR_RETENTION_RECORDS_DAYS", T::Float, "0",
       "delete records older than this many days (0: keep)", 0, {}},

      // The head-office collector (`edgeocr collect`).
      {"collect.listen", "--listen", "EDGEOCR_COLLECT_LISTEN", T::String, "127.0.0.1:9443",
       "collector: host:port to listen on (HTTPS)"},
      {"collect.tls_cert", "--tls-cert", "EDGEOCR_COLLECT_TLS_CERT", T::String, "", "collector: server certificate (PEM)"},
      {"collect.tls_key", "--tls-key", "EDGEOCR_COLLECT_TLS_KEY", T::String, "", "collector: server private key (PEM)"},
      {"collect.client_ca", "--client-ca", "EDGEOCR_COLLECT_CLIENT_CA", T::String, "",
       "collector: require client certificates signed by this CA (mutual TLS)"},
      {"collect.keys_dir", "--keys", "EDGEOCR_COLLECT_KEYS_DIR", T::String, "",
       "collector: folder of <store_id>.key files (mode 0600)"},
      {"collect.pg", "--pg", "EDGEOCR_COLLECT_PG", T::String, "",
       "collector: PostgreSQL connection string, e.g. postgresql://user@host:5432/db"},
      {"collect.max_body_mb", "--max-body-mb", "EDGEOCR_COLLECT_MAX_BODY_MB", T::Int, "256",
       "collector: largest accepted batch (MiB)", 1, 4096},
  };
  return specs;
}

}  // namespace edgeocr::settings
