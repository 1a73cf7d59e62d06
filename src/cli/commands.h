// Each area registers its own `edgeocr` subcommand here; a command that wires several layers
// (`ocr`: OCR and extraction) lives in src/cli, above them. A register function adds the
// subcommand to `app`; when it runs, its callback stores the process exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace edgeocr::sync {
struct CollectorHooks;
}

namespace edgeocr::cli {

void register_ocr_command(CLI::App& app, int& exit_code);     // src/cli/ocr_command.cpp
void register_bench_command(CLI::App& app, int& exit_code);   // src/ocr/bench_command.cpp
void register_eval_command(CLI::App& app, int& exit_code);    // src/eval/eval_command.cpp
void register_fields_command(CLI::App& app, int& exit_code);  // src/eval/fields_command.cpp
void register_sync_command(CLI::App& app, int& exit_code);    // src/sync/sync_commands.cpp
void register_collect_command(CLI::App& app, int& exit_code); // src/sync/sync_commands.cpp
// The same collector with calls at its critical points (the sync tests' fault injection).
void register_collect_command(CLI::App& app, int& exit_code, const sync::CollectorHooks& hooks);
void register_archive_command(CLI::App& app, int& exit_code); // src/sync/archive_commands.cpp
void register_serve_command(CLI::App& app, int& exit_code);   // src/serve/serve_command.cpp
void register_vlm_command(CLI::App& app, int& exit_code);     // src/vlm/vlm_command.cpp

}  // namespace edgeocr::cli
