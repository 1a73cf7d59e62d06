// An independent reference for the runtime: the PP-OCR detector run by OpenCV's DNN module.
// Used by the runtime's cross-check test and by `edgeocr bench` (never by the pipeline).
#pragma once

#include <filesystem>

#include <opencv2/dnn.hpp>

namespace edgeocr::runtime {

// Loads `det_onnx` into OpenCV DNN after the rewrites OpenCV 4.6 needs: three-input Clip
// nodes turned into the attribute form, and the input fixed to [1,3,height,width].
cv::dnn::Net load_opencv_det_reference(const std::filesystem::path& det_onnx, int height, int width);

}  // namespace edgeocr::runtime
