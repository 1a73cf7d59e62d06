// `edgeocr vlm IMAGE`: one request to the configured VLM server, result JSON on stdout.
// For checking a vLLM / llama-server set-up without starting the service.
#include <fstream>
#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>

#include "vlm/answer_parser.h"
#include "cli/commands.h"
#include "settings/cli.h"
#include "vlm/backend.h"

namespace edgeocr::cli {

void register_vlm_command(CLI::App& app, int& exit_code) {
  struct Args {
    std::string image;
    std::string task = "spot";
    std::string instruction;
    std::vector<std::string> fields;
    std::string schema;
    std::string target_language;
    bool dry_run = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("vlm", "Send one image to the VLM server (OpenAI-compatible) and print the JSON");
  cmd->add_option("image", args->image, "image file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--task", args->task, "spot | text | parse | table | formula | extract | translate | vqa")
      ->capture_default_str();
  cmd->add_option("--instruction", args->instruction, "free-form instruction or question");
  cmd->add_option("--field", args->fields, "field to extract (repeatable)");
  cmd->add_option("--schema", args->schema, "receipt");
  cmd->add_option("--target-language", args->target_language, "translate: en | zh");
  cmd->add_flag("--dry-run", args->dry_run, "print the prompt that would be sent, send nothing");
  auto command_settings = std::make_shared<settings::CommandSettings>(*cmd, settings::specs_named({"vlm."}));
  cmd->callback([args, command_settings, &exit_code] {
    try {
      vlm::VlmSettings vlm_settings = vlm::vlm_settings_from(command_settings->resolve());
      vlm_settings.backend = vlm::BackendKind::openai;
      std::ifstream in(args->image, std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      vlm::VlmRequest request = vlm::make_request(args->task, args->instruction, args->fields, args->schema);
      request.target_language = args->target_language;
      if (args->dry_run) {
        const auto fallback = vlm_settings.prompt_language == "en" ? vlm::Language::en : vlm::Language::zh;
        const auto prompt = vlm::to_prompt_request(request, fallback);
        const auto image = vlm::prepare_encoded_image(bytes);
        std::cout << nlohmann::json{{"url", vlm_settings.client.base_url + "/chat/completions"},
                                    {"model", vlm_settings.client.model},
                                    {"task", vlm::to_string(prompt.task)},
                                    {"prompt", vlm::build_prompt(prompt)},
                                    {"sent_width", image.sent_width},
                                    {"sent_height", image.sent_height},
                                    {"jpeg_bytes", image.jpeg.size()}}
                         .dump(2)
                  << "\n";
        exit_code = 0;
        return;
      }
      vlm::VlmBackend backend(vlm_settings);
      std::cout << engine::to_json(backend.run_encoded(bytes, request)).dump(2) << "\n";
      exit_code = 0;
    } catch (const std::exception& e) {
      std::cerr << "edgeocr vlm: error: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace edgeocr::cli
