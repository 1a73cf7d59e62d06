// Writes a rendered receipt (Noto CJK, black on white) as a PNG for the browser test.
// Usage: render_receipt OUT.png [LINE]   (with LINE: one short line of that text instead)
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "support/text_renderer.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: render_receipt OUT.png [LINE]\n");
    return 2;
  }
  try {
    const edgeocr::test::TextRenderer renderer;
    const std::vector<std::string> rows = {"FRESH MART", "2024-03-18 14:05", "", "Milk\t4.50", "Bread\t3.20",
                                           "Apples\t6.80", "", "TOTAL\t14.50", "谢谢惠顾"};
    const auto page = argc == 3 ? edgeocr::test::render_line(renderer, argv[2], 28)
                                : edgeocr::test::compose_receipt(renderer, rows, 30, 560, 32);
    const auto png = edgeocr::test::encode(page.image, ".png");
    std::ofstream out(argv[1], std::ios::binary);
    out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    if (!out) throw std::runtime_error(std::string("cannot write ") + argv[1]);
    std::printf("%s\n", page.text.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "render_receipt: %s\n", e.what());
    return 1;
  }
}
