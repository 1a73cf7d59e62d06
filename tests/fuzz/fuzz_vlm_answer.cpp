// Answers from a VLM server: spotting lines, lenient JSON, the repetition trimmer, and the
// per-task answer parser, for every task.
#include <cstdint>
#include <string_view>

#include "vlm/answer_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view answer(reinterpret_cast<const char*>(data) + 1, size - 1);
  const edgeocr::vlm::ImageGeometry geometry{1000, 800, 500, 400};
  edgeocr::vlm::trim_repeated_tail(answer);
  edgeocr::vlm::parse_spotting(answer, geometry);
  edgeocr::vlm::parse_json_lenient(answer);
  edgeocr::vlm::PromptRequest request;
  request.task = static_cast<edgeocr::vlm::Task>(data[0] % 8);
  request.fields = {"total", "date"};
  request.question = "what is the total?";
  try {
    edgeocr::engine::to_json(edgeocr::vlm::parse_answer(request, answer, geometry)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception&) {
  }
  return 0;
}
