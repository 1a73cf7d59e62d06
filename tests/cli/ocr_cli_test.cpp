// Runs the built `edgeocr` binary on good and bad files: output formats, error lines, exit code.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/documents.h"
#include "support/text_renderer.h"

namespace {

namespace fs = std::filesystem;

struct CommandRun {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class OcrCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("edgeocr_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const edgeocr::test::TextRenderer renderer;
    const auto page = edgeocr::test::render_line(renderer, "Total: 128.75", 36);
    write_png(dir_ / "good.png", renderer, "Total: 128.75");
    write_png(dir_ / "milk.png", renderer, "Milk 4.50");
    // A two-page TIFF and a HEIC photo, written with OpenCV and libheif.
    const auto milk = edgeocr::test::render_line(renderer, "Milk 4.50", 36);
    write_bytes(dir_ / "two.tiff", edgeocr::test::encode_tiff_pages({page.image, milk.image}));
    write_bytes(dir_ / "photo.heic", edgeocr::test::encode_heic({page.image}));
    write_bytes(dir_ / "two.heic", edgeocr::test::encode_heic({page.image, milk.image}));
    std::ofstream(dir_ / "empty.jpg").close();
    std::ofstream(dir_ / "notes.txt") << "just some text, not an image\n";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  static void write_png(const fs::path& path, const edgeocr::test::TextRenderer& renderer, const std::string& text) {
    write_bytes(path, edgeocr::test::encode(edgeocr::test::render_line(renderer, text, 36).image));
  }

  // Runs a shell command line in the test folder; stdout and stderr captured.
  static CommandRun shell(const std::string& line) {
    CommandRun r;
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string command = "cd '" + dir_.string() + "' && { " + line + " ; } >'" + out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(command.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  static std::string edgeocr() { return std::string("'") + EDGEOCR_BINARY + "' "; }
  static std::string models() { return " --model-path '" + edgeocr::test::model_dir().string() + "'"; }
  // Runs `edgeocr ARGS` in the test folder with stdin held open and stdout going to `out`, and
  // returns what `out` holds once it has a whole line (or after 60 s); then sends milk.png as
  // stdin and expects a clean exit.
  std::string first_line_while_stdin_open(const std::string& args, const fs::path& out) {
    const std::string command = "cd '" + dir_.string() + "' && " + edgeocr() + args + models() + " > '" +
                                out.string() + "' 2>/dev/null";
    FILE* child = ::popen(command.c_str(), "w");
    if (child == nullptr) return {};
    std::string first;
    for (int i = 0; i < 600 && first.find('\n') == std::string::npos; ++i) {
      ::usleep(100'000);
      first = slurp(out);
    }
    const std::string png = slurp(dir_ / "milk.png");
    std::fwrite(png.data(), 1, png.size(), child);
    EXPECT_EQ(WEXITSTATUS(::pclose(child)), 0) << args;
    return first;
  }

  static CommandRun run(const std::string& args, const std::string& model_path = edgeocr::test::model_dir().string()) {
    CommandRun r;
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string command = std::string("cd '") + dir_.string() + "' && '" + EDGEOCR_BINARY + "' " + args +
                                " --model-path '" + model_path + "' >'" + out.string() +
                                "' 2>'" + err.string() + "'";
    const int status = std::system(command.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  static inline fs::path dir_;
};

TEST_F(OcrCliTest, TextForOneGoodFile) {
  const CommandRun r = run("ocr good.png");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Total: 128.75\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(OcrCliTest, BadFilesReportedOthersStillProcessed) {
  const CommandRun r = run("ocr empty.jpg good.png notes.txt missing.png --format json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("edgeocr: empty.jpg: empty file\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("edgeocr: notes.txt: not an image"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("edgeocr: missing.png: no such file"), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0].at("file"), "empty.jpg");
  EXPECT_EQ(j[0].at("error"), "empty file");
  EXPECT_EQ(j[1].at("file"), "good.png");
  EXPECT_EQ(j[1].at("page"), 1);
  EXPECT_TRUE(j[1].at("error").is_null());
  EXPECT_EQ(j[1].at("text"), "Total: 128.75");
  EXPECT_EQ(j[1].at("lines").size(), 1u);
}

TEST_F(OcrCliTest, TextHeadersAndTsvRows) {
  const CommandRun text = run("ocr good.png good.png");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out, "==> good.png <==\nTotal: 128.75\n\n==> good.png <==\nTotal: 128.75\n");
  const CommandRun tsv = run("ocr good.png notes.txt --format tsv");
  EXPECT_EQ(tsv.exit_code, 1);
  std::istringstream rows(tsv.out);
  std::string header, row, extra;
  std::getline(rows, header);
  std::getline(rows, row);
  EXPECT_FALSE(std::getline(rows, extra));
  EXPECT_EQ(header.rfind("file\tpage\torder\tconfidence\tx1", 0), 0u);
  EXPECT_EQ(row.rfind("good.png\t1\t0\t", 0), 0u) << row;
  EXPECT_EQ(row.substr(row.rfind('\t') + 1), "Total: 128.75");
  EXPECT_EQ(std::count(row.begin(), row.end(), '\t'), 12);
}

TEST_F(OcrCliTest, MissingModelsIsAClearError) {
  const CommandRun r = run("ocr good.png", "/nonexistent/models");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot load the OCR models from /nonexistent/models"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// Words as the XML readers see them: python3's parser reads the hOCR (as XHTML) or ALTO v4 file
// and prints [{text, bbox:[x0,y0,x1,y1]}] plus the page structure it found.
constexpr const char* kXmlCheck = R"PY(
import json, re, sys
import xml.etree.ElementTree as ET
kind, path = sys.argv[1], sys.argv[2]
root = ET.parse(path).getroot()
out = {"pages": [], "lines": 0, "words": []}
if kind == "hocr":
    X = "{http://www.w3.org/1999/xhtml}"
    assert root.tag == X + "html", root.tag
    def bbox(e):
        m = re.search(r"bbox (\d+) (\d+) (\d+) (\d+)", e.get("title", ""))
        return [int(v) for v in m.groups()]
    for page in root.iter(X + "div"):
        if page.get("class") != "ocr_page": continue
        out["pages"].append(bbox(page))
        for line in page.iter(X + "span"):
            if line.get("class") == "ocr_line":
                out["lines"] += 1
                bbox(line)
            if line.get("class") == "ocrx_word":
                out["words"].append({"text": "".join(line.itertext()), "bbox": bbox(line),
                                     "conf": int(re.search(r"x_wconf (\d+)", line.get("title")).group(1))})
else:
    A = "{http://www.loc.gov/standards/alto/ns-v4#}"
    assert root.tag == A + "alto", root.tag
    for page in root.iter(A + "Page"):
        space = page.find(A + "PrintSpace")
        out["pages"].append([0, 0, int(page.get("WIDTH")), int(page.get("HEIGHT"))])
        for block in space.iter(A + "TextBlock"):
            for line in block.iter(A + "TextLine"):
                out["lines"] += 1
                for s in line.iter(A + "String"):
                    x, y, w, h = (int(s.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
                    out["words"].append({"text": s.get("CONTENT"), "bbox": [x, y, x + w, y + h],
                                         "conf": float(s.get("WC"))})
print(json.dumps(out))
)PY";

// The drawn text's ink box in the test image, for checking output boxes.
struct InkBox {
  float x0, y0, x1, y1;
};
InkBox drawn_box(const std::string& text) {
  const edgeocr::test::TextRenderer renderer;
  const auto page = edgeocr::test::render_line(renderer, text, 36);
  const auto& q = page.lines.at(0).box;
  return {q[0].x, q[0].y, q[2].x, q[2].y};
}

nlohmann::json parse_xml_words(const fs::path& dir, const std::string& kind, const std::string& file) {
  std::ofstream(dir / "xml_check.py") << kXmlCheck;
  const std::string command = "cd '" + dir.string() + "' && python3 xml_check.py " + kind + " '" + file + "' > xml_check.out";
  if (std::system(command.c_str()) != 0) return nullptr;
  return nlohmann::json::parse(slurp(dir / "xml_check.out"));
}

TEST_F(OcrCliTest, StdinFoldersAndListFiles) {
  const CommandRun in = shell(edgeocr() + "ocr - < good.png" + models());
  EXPECT_EQ(in.exit_code, 0) << in.err;
  EXPECT_EQ(in.out, "Total: 128.75\n");

  fs::create_directories(dir_ / "folder" / "sub");
  fs::copy_file(dir_ / "good.png", dir_ / "folder" / "a.png", fs::copy_options::overwrite_existing);
  fs::copy_file(dir_ / "milk.png", dir_ / "folder" / "sub" / "b.png", fs::copy_options::overwrite_existing);
  std::ofstream(dir_ / "folder" / "readme.txt") << "not an input\n";
  const CommandRun flat = run("ocr folder --format json");
  EXPECT_EQ(flat.exit_code, 0) << flat.err;
  const auto one = nlohmann::json::parse(flat.out);
  EXPECT_EQ(one.at("text"), "Total: 128.75");  // only a.png: no recursion, .txt skipped

  const CommandRun deep = run("ocr -r folder --format json");
  EXPECT_EQ(deep.exit_code, 0) << deep.err;
  const auto both = nlohmann::json::parse(deep.out);
  ASSERT_EQ(both.size(), 2u) << deep.out;
  EXPECT_EQ(both[0].at("file"), "folder/a.png");
  EXPECT_EQ(both[1].at("file"), "folder/sub/b.png");
  EXPECT_EQ(both[1].at("text"), "Milk 4.50");
  // One output file per input, the folder's sub-paths kept.
  fs::remove_all(dir_ / "tree");
  const CommandRun tree = run("ocr -r folder --output-dir tree");
  EXPECT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_EQ(slurp(dir_ / "tree" / "a.txt"), "Total: 128.75\n");
  EXPECT_EQ(slurp(dir_ / "tree" / "sub" / "b.txt"), "Milk 4.50\n");

  std::ofstream(dir_ / "inputs.txt") << "# scanned today\nmilk.png\n\ngood.png\n";
  const CommandRun list = run("ocr @inputs.txt");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, "==> milk.png <==\nMilk 4.50\n\n==> good.png <==\nTotal: 128.75\n");
}

TEST_F(OcrCliTest, MultiPageTiffHeicAndPdfGiveOneResultPerPage) {
  const CommandRun tiff = run("ocr two.tiff --format jsonl");
  EXPECT_EQ(tiff.exit_code, 0) << tiff.err;
  std::istringstream lines(tiff.out);
  std::string first, second, extra;
  ASSERT_TRUE(std::getline(lines, first) && std::getline(lines, second));
  EXPECT_FALSE(std::getline(lines, extra));
  EXPECT_EQ(nlohmann::json::parse(first).at("page"), 1);
  EXPECT_EQ(nlohmann::json::parse(first).at("text"), "Total: 128.75");
  EXPECT_EQ(nlohmann::json::parse(second).at("page"), 2);
  EXPECT_EQ(nlohmann::json::parse(second).at("text"), "Milk 4.50");

  const CommandRun tiff_second = run("ocr two.tiff --pages 2");
  EXPECT_EQ(tiff_second.exit_code, 0) << tiff_second.err;
  EXPECT_EQ(tiff_second.out, "Milk 4.50\n");

  const CommandRun heic = run("ocr photo.heic");
  EXPECT_EQ(heic.exit_code, 0) << heic.err;
  EXPECT_EQ(heic.out, "Total: 128.75\n");
  // Every image of a HEIF file is a page; text output separates pages with a form feed.
  const CommandRun heic_pages = run("ocr two.heic");
  EXPECT_EQ(heic_pages.exit_code, 0) << heic_pages.err;
  EXPECT_EQ(heic_pages.out, "Total: 128.75\n\fMilk 4.50\n");

  // A two-page PDF (the searchable PDF this command writes), read back through poppler.
  ASSERT_EQ(run("ocr good.png milk.png --format pdf -o pages.pdf").exit_code, 0);
  const CommandRun pdf = run("ocr pages.pdf --format json --dpi 150");
  EXPECT_EQ(pdf.exit_code, 0) << pdf.err;
  const auto pages = nlohmann::json::parse(pdf.out);
  ASSERT_EQ(pages.size(), 2u) << pdf.out;
  EXPECT_EQ(pages[0].at("page"), 1);
  EXPECT_EQ(pages[0].at("text"), "Total: 128.75");
  EXPECT_EQ(pages[1].at("page"), 2);
  EXPECT_EQ(pages[1].at("text"), "Milk 4.50");
  // The PDF's pages hold the 150 dpi images: at --dpi 300 the page is rendered twice as wide.
  const int png_width = pages[0].at("width");
  EXPECT_NEAR(png_width, cv::imread((dir_ / "good.png").string()).cols, 1);
  const CommandRun sharp = run("ocr pages.pdf --pages 1 --dpi 300 --format json");
  EXPECT_EQ(sharp.exit_code, 0) << sharp.err;
  EXPECT_NEAR(nlohmann::json::parse(sharp.out).at("width").get<int>(), 2 * png_width, 2) << sharp.out;
  const CommandRun second_only = run("ocr pages.pdf --pages 2- --format tsv");
  EXPECT_EQ(second_only.exit_code, 0) << second_only.err;
  EXPECT_NE(second_only.out.find("pages.pdf\t2\t0\t"), std::string::npos) << second_only.out;
  EXPECT_EQ(second_only.out.find("Total"), std::string::npos);
  const CommandRun beyond = run("ocr pages.pdf --pages 5");
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_NE(beyond.err.find("page 5 selected, but the file has 2 pages"), std::string::npos) << beyond.err;
}

TEST_F(OcrCliTest, HocrAndAltoParseWithWordsAtTheDrawnText) {
  const InkBox ink = drawn_box("Total: 128.75");
  for (const std::string kind : {"hocr", "alto"}) {
    const CommandRun r = run("ocr good.png --format " + kind + " -o out." + kind);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = parse_xml_words(dir_, kind, "out." + kind);
    ASSERT_FALSE(doc.is_null()) << kind << " did not parse: " << slurp(dir_ / ("out." + kind));
    ASSERT_EQ(doc.at("pages").size(), 1u) << kind;
    EXPECT_EQ(doc.at("lines"), 1) << kind;
    std::string text;
    for (const auto& w : doc.at("words")) {
      if (!text.empty()) text += ' ';
      text += w.at("text").get<std::string>();
      const auto b = w.at("bbox");
      // Every word box lies on the drawn line (a few pixels of detector margin allowed).
      EXPECT_GE(b[0].get<int>(), ink.x0 - 12) << kind;
      EXPECT_LE(b[2].get<int>(), ink.x1 + 12) << kind;
      EXPECT_NEAR((b[1].get<int>() + b[3].get<int>()) / 2.0, (ink.y0 + ink.y1) / 2, 8) << kind;
      EXPECT_GT(w.at("conf").get<double>(), 0) << kind;
    }
    EXPECT_EQ(text, "Total: 128.75") << kind;
    // Word boxes, not the line's box twice: "Total:" ends before "128.75" starts.
    ASSERT_EQ(doc.at("words").size(), 2u) << kind;
    EXPECT_LE(doc["words"][0]["bbox"][2].get<int>(), doc["words"][1]["bbox"][0].get<int>()) << kind;
  }
}

TEST_F(OcrCliTest, SearchablePdfTextReadsBackAtTheRightPlace) {
  const CommandRun r = run("ocr good.png --format pdf -o searchable.pdf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const CommandRun text = shell("pdftotext searchable.pdf -");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.substr(0, text.out.find('\n')), "Total: 128.75");
  const CommandRun bbox = shell("pdftotext -bbox searchable.pdf -");
  ASSERT_EQ(bbox.exit_code, 0) << bbox.err;
  // Image pixels are 72/150 pt: the words must cover the drawn ink, left to right.
  const InkBox ink = drawn_box("Total: 128.75");
  const double pt = 72.0 / 150;
  std::regex word(R"re(<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>)re");
  double x_min = 1e9, x_max = 0;
  std::string words;
  for (std::sregex_iterator it(bbox.out.begin(), bbox.out.end(), word), end; it != end; ++it) {
    const auto& m = *it;
    if (!words.empty()) words += ' ';
    words += m[5].str();
    x_min = std::min(x_min, std::stod(m[1]));
    x_max = std::max(x_max, std::stod(m[3]));
    const double y_mid = (std::stod(m[2]) + std::stod(m[4])) / 2;
    EXPECT_NEAR(y_mid, (ink.y0 + ink.y1) / 2 * pt, 6 * pt) << m[0];
  }
  EXPECT_EQ(words, "Total: 128.75");
  EXPECT_NEAR(x_min, ink.x0 * pt, 12 * pt);
  EXPECT_NEAR(x_max, ink.x1 * pt, 12 * pt);
}

TEST_F(OcrCliTest, OutputFileAndOutputDirWithMatchingExtensions) {
  fs::remove_all(dir_ / "outdir");
  const CommandRun r = run("ocr good.png milk.png --format hocr --output-dir outdir");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string good = slurp(dir_ / "outdir" / "good.hocr"), milk = slurp(dir_ / "outdir" / "milk.hocr");
  EXPECT_NE(good.find("ocrx_word"), std::string::npos);
  EXPECT_NE(good.find("128.75</span>"), std::string::npos) << good;
  EXPECT_EQ(good.find("Milk"), std::string::npos);
  EXPECT_NE(milk.find("4.50</span>"), std::string::npos) << milk;
  const CommandRun text = run("ocr good.png --output-dir outdir");
  EXPECT_EQ(slurp(dir_ / "outdir" / "good.txt"), "Total: 128.75\n");
  const CommandRun one = run("ocr good.png milk.png -o all.txt");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(slurp(dir_ / "all.txt"), "==> good.png <==\nTotal: 128.75\n\n==> milk.png <==\nMilk 4.50\n");
  EXPECT_EQ(run("ocr good.png -o x.txt --output-dir outdir").exit_code, 2);
}

TEST_F(OcrCliTest, JsonLinesStreamsEachFileAsItFinishes) {
  // The second input is stdin, held open: the first file's line must be out before it ends.
  const fs::path out = dir_ / "stream.out";
  const std::string first = first_line_while_stdin_open("ocr good.png - --format jsonl", out);
  ASSERT_NE(first.find('\n'), std::string::npos) << "no line before stdin was closed";
  EXPECT_EQ(nlohmann::json::parse(first.substr(0, first.find('\n'))).at("file"), "good.png");
  std::istringstream lines(slurp(out));
  std::string a, b;
  std::getline(lines, a);
  std::getline(lines, b);
  EXPECT_EQ(nlohmann::json::parse(b).at("file"), "-");
  EXPECT_EQ(nlohmann::json::parse(b).at("text"), "Milk 4.50");

  // A failed input is a line of its own, with no page.
  const CommandRun failed = run("ocr notes.txt --format jsonl");
  EXPECT_EQ(failed.exit_code, 1);
  const auto error = nlohmann::json::parse(failed.out);
  EXPECT_EQ(error.at("file"), "notes.txt");
  EXPECT_TRUE(error.at("page").is_null());
  EXPECT_NE(error.at("error").get<std::string>().find("not an image"), std::string::npos) << failed.out;
}

TEST_F(OcrCliTest, ParallelJobsKeepInputOrderAndReportFailures) {
  const CommandRun r = run("ocr milk.png notes.txt good.png milk.png --jobs 2 --threads 2 --format json");
  EXPECT_EQ(r.exit_code, 1);
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0].at("text"), "Milk 4.50");
  EXPECT_EQ(j[1].at("file"), "notes.txt");
  EXPECT_FALSE(j[1].at("error").is_null());
  EXPECT_EQ(j[2].at("text"), "Total: 128.75");
  EXPECT_EQ(j[3].at("text"), "Milk 4.50");

  // Two inputs really run at once: while one job waits on stdin (held open), the other job's
  // file is read and written.
  const std::string first =
      first_line_while_stdin_open("ocr - good.png --jobs 2 --threads 2 --format jsonl", dir_ / "jobs.out");
  ASSERT_NE(first.find('\n'), std::string::npos) << "the second job waited for the first";
  EXPECT_EQ(nlohmann::json::parse(first.substr(0, first.find('\n'))).at("file"), "good.png");
}

TEST_F(OcrCliTest, ProgressOnATerminalOnlyAndQuietSilencesIt) {
  // `script` gives the command a terminal; progress goes to that terminal's stderr.
  const std::string cmd = edgeocr() + "ocr good.png milk.png" + models();
  const CommandRun tty = shell("script -qec \"" + cmd + "\" /dev/null");
  EXPECT_EQ(tty.exit_code, 0) << tty.err;
  EXPECT_NE(tty.out.find("2/2 files"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("images/s"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("ETA"), std::string::npos) << tty.out;
  const CommandRun quiet = shell("script -qec \"" + cmd + " --quiet\" /dev/null");
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out.find("images/s"), std::string::npos) << quiet.out;
  EXPECT_NE(quiet.out.find("Milk 4.50"), std::string::npos) << quiet.out;
}

TEST_F(OcrCliTest, UsageErrorsExitTwo) {
  for (const std::string args : {"ocr", "ocr good.png --no-such-flag", "ocr good.png --format docx",
                                 "ocr good.png --threads 0", "ocr good.png -l 'Fr A'", "ocr good.png --pages 3-1",
                                 "ocr good.png --dpi 10", "ocr good.png --jobs 0", "ocr - - < good.png",
                                 "nosuchcommand"}) {
    const CommandRun r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
  EXPECT_NE(run("ocr good.png -l 'Fr A'").err.find("'Fr A' is not a language code"), std::string::npos);
  // A language without its Tesseract pack names the Debian package, before any image is read.
  const CommandRun missing_pack = shell("TESSDATA_PREFIX=/nonexistent/tessdata " + edgeocr() + "ocr good.png -l ara+eng" + models());
  EXPECT_EQ(missing_pack.exit_code, 2) << missing_pack.err;
  EXPECT_EQ(missing_pack.out, "");
  EXPECT_NE(missing_pack.err.find("install the Debian package tesseract-ocr-ara"), std::string::npos) << missing_pack.err;
  const CommandRun missing_traditional = shell("TESSDATA_PREFIX=/nonexistent/tessdata " + edgeocr() + "ocr good.png -l chi_tra" + models());
  EXPECT_NE(missing_traditional.err.find("tesseract-ocr-chi-tra"), std::string::npos) << missing_traditional.err;
  EXPECT_EQ(run("ocr --help").exit_code, 0);
  const CommandRun lang = run("ocr good.png -l chi_sim+eng");
  EXPECT_EQ(lang.exit_code, 0) << lang.err;
  EXPECT_EQ(lang.out, "Total: 128.75\n");
}

// bench has no images of its own: none given is a usage error that shows how to name them, and
// a failure while it runs is one line naming the subcommand.
TEST_F(OcrCliTest, BenchNeedsItsImagesAndNamesItsErrors) {
  const CommandRun none = run("bench");
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_EQ(none.out, "");
  EXPECT_NE(none.err.find("images: none given"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("edgeocr bench ../shared/eval/sroie/img --limit 10"), std::string::npos) << none.err;
  const CommandRun no_models = run("bench good.png", (dir_ / "no-such-models").string());
  EXPECT_EQ(no_models.exit_code, 1) << no_models.err;
  EXPECT_EQ(no_models.err.rfind("edgeocr bench: error: cannot load the OCR models from ", 0), 0u) << no_models.err;
}

TEST_F(OcrCliTest, TextFormatWithSchemaPrintsTextAndFieldsNotJson) {
  const CommandRun r = run("ocr good.png --schema receipt");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Total: 128.75\n\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\ntotal: 128.75\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('{'), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(run("ocr good.png --schema receipt --format json").out);
  EXPECT_EQ(j.at("extraction").at("fields").at("total"), "128.75");
}

}  // namespace

// Damaged PNGs: exactly one error line each on stderr (libpng must not add its own).
TEST_F(OcrCliTest, DamagedPngGivesOneErrorLine) {
  const std::string png = slurp(dir_ / "good.png");
  ASSERT_GT(png.size(), 100u);
  std::string flipped = png;
  flipped[png.size() / 2] = static_cast<char>(flipped[png.size() / 2] ^ 0x55);  // CRC mismatch
  const std::map<std::string, std::string> damaged = {
      {"half.png", png.substr(0, png.size() / 2)}, {"flipped.png", flipped}, {"head.png", png.substr(0, 33)}};
  for (const auto& [name, bytes] : damaged) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    const CommandRun r = run("ocr " + name);
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << name << ":\n" << r.err;
    EXPECT_EQ(r.err.rfind("edgeocr: " + name + ": ", 0), 0u) << r.err;
  }
}
