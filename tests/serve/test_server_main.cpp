// A server process for the kill -9 durability test: the real Server, archive and HTTP stack
// with the fake engine. Usage: serve_test_server DATA_DIR PORT_FILE DELAY_MS
#include <fstream>
#include <iostream>
#include <string>

#include "serve_test_support.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: serve_test_server DATA_DIR PORT_FILE DELAY_MS\n";
    return 2;
  }
  edgeocr::serve::ServerOptions options;
  options.archive.data_dir = argv[1];
  options.engine_factory =
      edgeocr::serve::fixtures::fake_engine_factory(std::make_shared<std::atomic<int>>(std::stoi(argv[3])));
  options.workers = 2;
  options.queue_length = 64;
  edgeocr::serve::Server server(std::move(options));
  const int port = server.bind();
  {
    const std::string tmp = std::string(argv[2]) + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), argv[2]);
  }
  server.run();
  return 0;
}
