// `edgeocr`: one binary, one subcommand per capability.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/run.h"

// OpenMP worker threads (ours and oneDNN's) spin while they wait for work by default; on a PC
// shared with other programs that spinning steals the cores the work needs (several times
// slower under load), so they wait passively unless the user sets OMP_WAIT_POLICY. libgomp reads
// it once, in its constructor, before main() and before anything of ours could set it. Every
// library's getenv() binds to this executable's definition first, so this one answers "passive"
// for a policy the environment does not name and passes everything else to the C library's. That
// costs nothing, where re-executing the process with the variable set paid the start-up
// (≈ 150 shared libraries loaded and relocated) twice.
extern "C" char* getenv(const char* name) noexcept {
  using Getenv = char* (*)(const char*);
  static const Getenv libc_getenv = reinterpret_cast<Getenv>(::dlsym(RTLD_NEXT, "getenv"));
  static char passive[] = "passive";
  char* value = libc_getenv(name);
  if (value == nullptr && std::strcmp(name, "OMP_WAIT_POLICY") == 0) return passive;
  return value;
}

int main(int argc, char** argv) {
  ::setenv("OMP_WAIT_POLICY", "passive", 0);  // the same policy for the processes this one starts
  CLI::App app{"EdgeOCR: local OCR engine, service and tools"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeocr 0.1.0");
  int exit_code = 0;
  edgeocr::cli::register_ocr_command(app, exit_code);
  edgeocr::cli::register_bench_command(app, exit_code);
  edgeocr::cli::register_eval_command(app, exit_code);
  edgeocr::cli::register_fields_command(app, exit_code);
  edgeocr::cli::register_sync_command(app, exit_code);
  edgeocr::cli::register_collect_command(app, exit_code);
  edgeocr::cli::register_archive_command(app, exit_code);
  edgeocr::cli::register_serve_command(app, exit_code);
  edgeocr::cli::register_vlm_command(app, exit_code);
  return edgeocr::cli::run_command_line(app, argc, argv, exit_code);
}
