// Extraction options shared by `edgeocr` subcommands (`ocr`): --schema, --instruction, --fields,
// --fields-model.
#pragma once

#include <CLI/CLI.hpp>

#include "extract/extract.h"

namespace edgeocr::extract {

// Adds the options to `command`; after parsing, `request` holds them (request.empty() when
// none was given).
void add_cli_options(CLI::App& command, ExtractRequest& request);

// Runs the request on `ocr` for a CLI: returns {"extraction": to_json(...)} on success or
// {"error": {"code": "unsupported_instruction"|"invalid_request", "message"}}. `ok` is set to
// false on error, so the command can exit non-zero.
nlohmann::json run_for_cli(const ocr::OcrResult& ocr, const ExtractRequest& request, bool& ok);

}  // namespace edgeocr::extract
