#include "ocr/codecs.h"

#include <dlfcn.h>

#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <mutex>

#include <jpeglib.h>
#include <opencv2/imgcodecs.hpp>

namespace edgeocr::ocr {
namespace {

// ---- OpenCV's imgcodecs, loaded on first use ----

// The two entry points, with the types <opencv2/imgcodecs.hpp> declares them with, looked up by
// their (Itanium C++ ABI) symbol names in the library the build found (EDGEOCR_IMGCODECS_SONAME).
using Imdecode = cv::Mat (*)(cv::InputArray, int);
using Imencode = bool (*)(const cv::String&, cv::InputArray, std::vector<uchar>&, const std::vector<int>&);

struct OpenCvCodecs {
  Imdecode imdecode = nullptr;
  Imencode imencode = nullptr;
  std::string error;  // why they could not be loaded
};

const OpenCvCodecs& opencv_codecs() {
  static const OpenCvCodecs codecs = [] {
    OpenCvCodecs c;
    // Kept loaded for the life of the process, as a linked library would be.
    void* library = ::dlopen(EDGEOCR_IMGCODECS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      c.error = std::string("cannot load OpenCV's image codecs (") + ::dlerror() +
                "); install the Debian package libopencv-imgcodecs406";
      return c;
    }
    c.imdecode = reinterpret_cast<Imdecode>(::dlsym(library, "_ZN2cv8imdecodeERKNS_11_InputArrayEi"));
    c.imencode = reinterpret_cast<Imencode>(::dlsym(
        library,
        "_ZN2cv8imencodeERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_11_InputArrayERSt6vectorIhSaIhEERKSB_IiSaIiEE"));
    if (c.imdecode == nullptr || c.imencode == nullptr)
      c.error = std::string(EDGEOCR_IMGCODECS_SONAME) + " lacks cv::imdecode/cv::imencode (another OpenCV version?)";
    return c;
  }();
  if (!codecs.error.empty()) throw CodecUnavailable(codecs.error);
  return codecs;
}

// ---- JPEG through libjpeg-turbo ----

struct JpegErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
};

[[noreturn]] void jump_on_error(j_common_ptr info) {
  std::longjmp(reinterpret_cast<JpegErrorManager*>(info->err)->jump, 1);
}

// A decompressor whose errors come back as false from the two steps below: each step holds
// setjmp's frame and nothing with a destructor, so a longjmp out of libjpeg skips no C++ cleanup.
struct JpegReader {
  jpeg_decompress_struct info{};
  JpegErrorManager error{};

  JpegReader() {
    info.err = jpeg_std_error(&error.pub);  // warnings go to stderr, as with OpenCV
    error.pub.error_exit = jump_on_error;
  }
  ~JpegReader() { jpeg_destroy_decompress(&info); }  // also safe when never created
  JpegReader(const JpegReader&) = delete;
  JpegReader& operator=(const JpegReader&) = delete;

  bool read_header(std::span<const uint8_t> bytes) {
    if (setjmp(error.jump)) return false;
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));  // fails on no bytes
    jpeg_save_markers(&info, JPEG_APP0 + 1, 0xFFFF);  // EXIF
    jpeg_read_header(&info, TRUE);
    return true;
  }

  // Decodes into `rows` rows of `step` bytes at `data`, BGR.
  bool read_bgr(uint8_t* data, size_t step) {
    if (setjmp(error.jump)) return false;
    info.out_color_space = JCS_EXT_BGR;  // the same conversion as JCS_RGB, channels swapped
    jpeg_start_decompress(&info);
    while (info.output_scanline < info.output_height) {
      JSAMPROW row = data + static_cast<size_t>(info.output_scanline) * step;
      jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    return true;
  }
};

uint32_t read_u16(std::span<const uint8_t> d, size_t at, bool little) {
  return little ? d[at] | (uint32_t{d[at + 1]} << 8) : (uint32_t{d[at]} << 8) | d[at + 1];
}
uint32_t read_u32(std::span<const uint8_t> d, size_t at, bool little) {
  return little ? read_u16(d, at, true) | (read_u16(d, at + 2, true) << 16)
                : (read_u16(d, at, false) << 16) | read_u16(d, at + 2, false);
}

}  // namespace

bool encode_image(const std::string& ext, const cv::Mat& image, std::vector<uint8_t>& out,
                  const std::vector<int>& params) {
  return opencv_codecs().imencode(ext, image, out, params);
}

namespace detail {

cv::Mat opencv_imdecode(std::span<const uint8_t> bytes, int flags) {
  const auto decode = opencv_codecs().imdecode;
  // imdecode needs a Mat header over the bytes; it only reads them.
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data()));
  return decode(buffer, flags);
}

int exif_orientation(std::span<const uint8_t> d) {
  // OpenCV's reader: byte order from "II"/"MM" (anything else reads big-endian), the 0x002A mark,
  // then IFD0's entries in order until one reaches past the data. The value fields it reads for
  // the tags it knows must lie inside the data too, or the entries after are not read.
  const bool little = d.size() > 1 && d[0] == 'I' && d[1] == 'I';
  const auto fits = [&](size_t at, size_t bytes) { return at + bytes <= d.size(); };
  if (!fits(2, 2) || read_u16(d, 2, little) != 0x2A || !fits(4, 4)) return 1;
  size_t at = read_u32(d, 4, little);
  if (!fits(at, 2)) return 1;
  const size_t entries = read_u16(d, at, little);
  at += 2;
  for (size_t e = 0; e < entries; at += 12, ++e) {
    if (!fits(at, 2)) return 1;
    const uint32_t tag = read_u16(d, at, little);
    const auto rationals_fit = [&](size_t count) {
      if (!fits(at + 8, 4)) return false;
      const size_t first = read_u32(d, at + 8, little);
      return fits(first, 8 * count);
    };
    switch (tag) {
      case 0x0112:  // orientation: the first one counts
        if (!fits(at + 8, 2)) return 1;
        return static_cast<int>(read_u16(d, at + 8, little));
      case 0x010E: case 0x010F: case 0x0110: case 0x0131: case 0x0132: case 0x8298: {  // strings
        if (!fits(at + 4, 4)) return 1;
        const size_t size = read_u32(d, at + 4, little);
        size_t data = 8;
        if (size > 4) {
          if (!fits(at + 8, 4)) return 1;
          data = read_u32(d, at + 8, little);
        }
        if (data > d.size() || data + size > d.size()) return 1;
        break;
      }
      case 0x011A: case 0x011B:  // x/y resolution
        if (!rationals_fit(1)) return 1;
        break;
      case 0x013E:  // white point
        if (!rationals_fit(2)) return 1;
        break;
      case 0x0211:  // YCbCr coefficients
        if (!rationals_fit(3)) return 1;
        break;
      case 0x013F: case 0x0214:  // primary chromaticities, reference black/white
        if (!rationals_fit(6)) return 1;
        break;
      case 0x0128: case 0x0213:  // resolution unit, YCbCr positioning
        if (!fits(at + 8, 2)) return 1;
        break;
      default:
        break;
    }
  }
  return 1;
}

void apply_exif_orientation(cv::Mat& image, int orientation) {
  switch (orientation) {
    case 2: cv::flip(image, image, 1); break;
    case 3: cv::flip(image, image, -1); break;
    case 4: cv::flip(image, image, 0); break;
    case 5: cv::transpose(image, image); break;
    case 6: cv::transpose(image, image), cv::flip(image, image, 1); break;
    case 7: cv::transpose(image, image), cv::flip(image, image, -1); break;
    case 8: cv::transpose(image, image), cv::flip(image, image, 0); break;
    default: break;  // 1 (as stored) or not a valid orientation
  }
}

std::optional<cv::Mat> decode_jpeg_bgr(std::span<const uint8_t> bytes) {
  JpegReader reader;
  if (!reader.read_header(bytes)) return cv::Mat();
  const jpeg_decompress_struct& info = reader.info;
  // CMYK/YCCK, and motion-JPEG frames without Huffman tables (OpenCV supplies the standard ones):
  // OpenCV's own handling.
  if (info.num_components != 1 && info.num_components != 3) return std::nullopt;
  if (!info.ac_huff_tbl_ptrs[0] && !info.ac_huff_tbl_ptrs[1] && !info.dc_huff_tbl_ptrs[0] && !info.dc_huff_tbl_ptrs[1])
    return std::nullopt;
  // OpenCV reads EXIF from the first APP1 segment, after its 6-byte "Exif\0\0" header. (Saved
  // markers are freed when decoding finishes.)
  int orientation = 1;
  for (jpeg_saved_marker_ptr m = info.marker_list; m != nullptr; m = m->next) {
    if (m->marker != JPEG_APP0 + 1) continue;
    if (m->data_length > 6) orientation = exif_orientation({m->data + 6, m->data_length - 6});
    break;
  }
  cv::Mat image(static_cast<int>(info.image_height), static_cast<int>(info.image_width), CV_8UC3);
  if (!reader.read_bgr(image.data, image.step)) return cv::Mat();
  apply_exif_orientation(image, orientation);
  return image;
}

}  // namespace detail
}  // namespace edgeocr::ocr
