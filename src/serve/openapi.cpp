// The OpenAPI 3 description of the server's routes (served at GET /openapi.json). A test checks
// that every path and method listed here is routed by the server.
#include "serve/server.h"

namespace edgeocr::serve {

nlohmann::json openapi_document() {
  using json = nlohmann::json;
  const json error_response = {
      {"description", "error"},
      {"content",
       {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  const json ocr_result = {{"description", "OCR result"},
                           {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/OcrResult"}}}}}}}};
  const json ocr_errors = {{"400", error_response}, {"401", error_response}, {"403", error_response},
                           {"413", error_response}, {"415", error_response}, {"501", error_response},
                           {"503", error_response}, {"504", error_response}};
  const auto query = [](const std::string& name, const std::string& type, const std::string& description) {
    return json{{"name", name}, {"in", "query"}, {"required", false}, {"schema", {{"type", type}}},
                {"description", description}};
  };
  const json id_param = {{"name", "id"}, {"in", "path"}, {"required", true},
                         {"schema", {{"type", "string"}, {"format", "uuid"}}}};
  const json list_filters = json::array({query("from", "string", "created at or after (2026-11-25 or ISO 8601)"),
                                         query("to", "string", "created at or before (a date means the whole day)"),
                                         query("q", "string", "text contains")});
  json list_params = list_filters;
  list_params.push_back(query("limit", "integer", "page size, 1..500 (default 50)"));
  list_params.push_back(query("offset", "integer", "skip this many (ignored with cursor)"));
  list_params.push_back(query("cursor", "string", "next_cursor of the previous page"));

  json ocr_post = {
      {"summary", "OCR an image (the original deployment's endpoint)"},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"multipart/form-data",
           {{"schema",
             {{"type", "object"},
              {"required", {"file"}},
              {"properties", {{"file", {{"type", "string"}, {"format", "binary"}}}}}}}}}}}}},
      {"responses", ocr_errors}};
  ocr_post["responses"]["200"] = ocr_result;

  json v1_properties = {{"file", {{"type", "string"}, {"format", "binary"}}},
                        {"task", {{"type", "string"}, {"enum", {"spot", "parse"}}, {"default", "spot"}}},
                        {"instruction", {{"type", "string"}, {"description", "e.g. 请提取总金额 / extract the total amount"}}},
                        {"fields", {{"type", "string"}, {"description", "JSON array or comma-separated field names"}}},
                        {"schema", {{"type", "string"}, {"description", "named schema, e.g. receipt"}}},
                        {"store", {{"type", "boolean"}, {"default", true}}}};
  json v1_post = {
      {"summary", "OCR with options; multipart (field file) or a raw image body"},
      {"parameters", json::array({query("task", "string", "spot (default) or parse (reading-order markdown)"),
                                  query("instruction", "string", "extraction instruction"),
                                  query("fields", "string", "fields to extract"),
                                  query("schema", "string", "named schema (receipt)"),
                                  query("models", "string", "model set: v4, v5, v6-small, v6-tiny, v6-small-v4det (default: the server's)"),
                                  query("lang", "string", "languages, Tesseract style: chi_sim+eng, ara+eng, auto (default: the server's)"),
                                  query("store", "boolean", "archive the result (default true)")})},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"multipart/form-data", {{"schema", {{"type", "object"}, {"required", {"file"}}, {"properties", v1_properties}}}}},
          {"image/*", {{"schema", {{"type", "string"}, {"format", "binary"}}}}},
          {"application/pdf", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}}},
      {"responses", ocr_errors}};
  v1_post["responses"]["200"] = ocr_result;

  const json json_ok = {{"description", "OK"}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
  const json auth_errors = {{"401", error_response}, {"403", error_response}};
  const auto with = [](json responses, const json& more) {
    for (const auto& [k, v] : more.items()) responses[k] = v;
    return responses;
  };

  json doc = {
      {"openapi", "3.0.3"},
      {"info", {{"title", "EdgeOCR"}, {"version", "0.1.0"}, {"description", "Local OCR service with an archive."}}},
      {"security", json::array({{{"bearerAuth", json::array()}}, {{"basicAuth", json::array()}}})},
      {"paths",
       {{"/ocr", {{"post", ocr_post}}},
        {"/v1/ocr", {{"post", v1_post}}},
        {"/v1/records",
         {{"get",
           {{"summary", "List archived records, newest first"},
            {"parameters", list_params},
            {"responses", with({{"200", json_ok}, {"400", error_response}}, auth_errors)}}}}},
        {"/v1/records.csv",
         {{"get",
           {{"summary", "Export records as CSV"},
            {"parameters", list_filters},
            {"responses",
             with({{"200", {{"description", "CSV"}, {"content", {{"text/csv", {{"schema", {{"type", "string"}}}}}}}}}},
                  auth_errors)}}}}},
        {"/v1/records/{id}",
         {{"get",
           {{"summary", "One record (JSON); ?image=1 returns the stored image instead"},
            {"parameters", json::array({id_param, query("image", "boolean", "return the image")})},
            {"responses", with({{"200", json_ok}, {"404", error_response}}, auth_errors)}}},
          {"delete",
           {{"summary", "Delete a record (and its image when no other record uses it)"},
            {"parameters", json::array({id_param})},
            {"responses", with({{"200", json_ok}, {"404", error_response}}, auth_errors)}}}}},
        {"/v1/records/{id}/image",
         {{"get",
           {{"summary", "The record's stored image"},
            {"parameters", json::array({id_param})},
            {"responses",
             with({{"200", {{"description", "image bytes"}, {"content", {{"image/*", json::object()}}}}},
                   {"404", error_response}},
                  auth_errors)}}}}},
        {"/healthz",
         {{"get", {{"summary", "Liveness (no auth)"}, {"security", json::array()}, {"responses", {{"200", json_ok}}}}}}},
        {"/readyz",
         {{"get", {{"summary", "Readiness: models loaded, not shutting down"},
                   {"responses", with({{"200", json_ok}, {"503", error_response}}, auth_errors)}}}}},
        {"/metrics",
         {{"get", {{"summary", "Prometheus metrics"},
                   {"responses",
                    with({{"200", {{"description", "text format 0.0.4"},
                                   {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}},
                         auth_errors)}}}}},
        {"/openapi.json",
         {{"get", {{"summary", "This document"}, {"responses", with({{"200", json_ok}}, auth_errors)}}}}},
        {"/", {{"get", {{"summary", "The web page"},
                        {"responses", with({{"200", {{"description", "HTML"}}}}, auth_errors)}}}}}}},
      {"components",
       {{"securitySchemes",
         {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}}, {"basicAuth", {{"type", "http"}, {"scheme", "basic"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"properties",
             {{"error",
               {{"type", "object"},
                {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}},
          {"OcrResult",
           {{"type", "object"},
            {"properties",
             {{"text", {{"type", "string"}}},
              {"markdown", {{"type", "string"}, {"description", "task=parse only"}}},
              {"pages",
               {{"type", "array"},
                {"description", "documents (PDF, multi-page TIFF, HEIC) only: one result per page, with its page number; "
                                "text is then the pages' text joined by form feeds"},
                {"items", {{"type", "object"}}}}},
              {"lines",
               {{"type", "array"},
                {"items",
                 {{"type", "object"},
                  {"properties",
                   {{"text", {{"type", "string"}}},
                    {"confidence", {{"type", "number"}}},
                    {"box", {{"type", "array"}, {"description", "4 points [x,y], clockwise from top-left"}}},
                    {"words",
                     {{"type", "array"},
                      {"description", "Latin words split at spaces, a CJK run one word; boxes from the recognizer's CTC positions"},
                      {"items",
                       {{"type", "object"},
                        {"properties",
                         {{"text", {{"type", "string"}}},
                          {"confidence", {{"type", "number"}}},
                          {"box", {{"type", "array"}}}}}}}}}}}}}}},
              {"width", {{"type", "integer"}}},
              {"height", {{"type", "integer"}}},
              {"timings_ms", {{"type", "object"}}},
              {"fields", {{"type", "object"}}},
              {"record_id", {{"type", "string"}, {"nullable", true}}},
              {"request_id", {{"type", "string"}}}}}}}}}}}};
  return doc;
}

}  // namespace edgeocr::serve
