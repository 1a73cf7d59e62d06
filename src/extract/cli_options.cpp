#include "extract/cli_options.h"

#include "extract/learned_fields.h"

namespace edgeocr::extract {

void add_cli_options(CLI::App& command, ExtractRequest& request) {
  command.add_option("--schema", request.schema, "Extract a built-in schema: receipt")
      ->check(CLI::IsMember({"receipt"}));
  command.add_option("--instruction", request.instruction,
                     "Extract the fields an instruction names, e.g. \"提取总金额\" or "
                     "\"extract the date and total amount\"");
  command.add_option("--fields", request.fields,
                     "Extract these fields (comma separated): total_amount,date,tax,\"Invoice No\"")
      ->delimiter(',');
  command.add_option_function<std::string>(
      "--fields-model",
      [&request](const std::string& path) {
        request.fields_model = std::make_shared<const FieldModel>(FieldModel::load(path));
      },
      "Learned receipt field model (edgeocr fields train) for company, date, address, total");
}

nlohmann::json run_for_cli(const ocr::OcrResult& ocr, const ExtractRequest& request, bool& ok) {
  ok = true;
  try {
    return {{"extraction", to_json(extract(ocr, request))}};
  } catch (const UnsupportedInstruction& e) {
    ok = false;
    return to_json(e);
  } catch (const InvalidRequest& e) {
    ok = false;
    return {{"error", {{"code", "invalid_request"}, {"message", e.what()}}}};
  }
}

}  // namespace edgeocr::extract
