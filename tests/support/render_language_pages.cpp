// Writes a small labelled evaluation set of rendered pages, one per language the shared sets lack
// (German, Spanish, Italian, Portuguese, Korean, Traditional Chinese), in the layout
// `edgeocr eval` reads (NAME.png + NAME.json with each line's box and text).
// Usage: render_language_pages OUT_DIR
// Thai and Hindi are left out: their scripts need a text shaper (mark placement, conjuncts) that
// this FreeType-only renderer does not have, so their pages would not be real text.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/text_renderer.h"

namespace {

struct LanguagePage {
  std::string name;  // file name; its prefix before '_' is what `eval --only` selects
  std::filesystem::path font;
  std::vector<std::string> lines;
};

const char* const kLatinFont = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";

std::vector<LanguagePage> pages() {
  return {
      {"de_rendered",
       kLatinFont,
       {"Sehr geehrte Damen und Herren,", "für Ihre Bestellung vom 12. März bedanken wir uns.",
        "Die Lieferung erfolgt über unseren Spediteur.", "Bitte prüfen Sie die Ware nach dem Empfang.",
        "Größere Mängel melden Sie uns innerhalb von", "vierzehn Tagen schriftlich oder telefonisch.",
        "Öffnungszeiten: Montag bis Freitag 8–17 Uhr", "Straße der Einheit 45, 04109 Leipzig",
        "Mit freundlichen Grüßen", "Ihr Kundenservice"}},
      {"es_rendered",
       kLatinFont,
       {"Estimado cliente:", "Le agradecemos la confianza depositada en nosotros.",
        "El pedido número 2318 saldrá mañana por la mañana.", "Si tiene alguna pregunta, no dude en llamarnos.",
        "La garantía cubre dos años desde la compra.", "Horario de atención: lunes a sábado, 9 a 20 h",
        "Avenida de la Constitución 17, Sevilla", "También puede escribirnos por correo electrónico.",
        "¡Gracias por elegir nuestra tienda!", "Atentamente, el equipo de ventas"}},
      {"it_rendered",
       kLatinFont,
       {"Gentile cliente,", "la ringraziamo per l'acquisto effettuato presso di noi.",
        "La merce sarà consegnata entro tre giorni lavorativi.", "Perché il reso sia accettato, conservi lo scontrino.",
        "Il servizio clienti è disponibile dal lunedì al venerdì.", "Via Giuseppe Garibaldi 21, 10122 Torino",
        "Prezzo totale: 149,90 euro, IVA inclusa", "Città, data e firma del destinatario",
        "Cordiali saluti", "L'ufficio amministrazione"}},
      {"pt_rendered",
       kLatinFont,
       {"Prezado cliente,", "agradecemos a sua preferência pela nossa loja.",
        "A encomenda será entregue em até cinco dias úteis.", "Em caso de dúvida, fale com o nosso atendimento.",
        "Não se esqueça de guardar a nota fiscal.", "Rua das Flores 88, São Paulo, SP",
        "Promoção válida até o fim do mês de junho.", "Informações: segunda a sábado, das 9h às 18h",
        "Obrigado pela atenção.", "Atenciosamente, a gerência"}},
      {"ko_rendered",
       edgeocr::test::kDefaultFont,
       {"고객님께 감사의 말씀을 드립니다.", "주문하신 상품은 내일 오전에 배송됩니다.",
        "영수증을 잘 보관해 주시기 바랍니다.", "교환 및 환불은 구매일로부터 14일 이내에 가능합니다.",
        "영업시간: 월요일부터 토요일까지 오전 9시부터 오후 8시", "서울특별시 종로구 세종대로 175",
        "문의 사항은 고객센터로 연락해 주세요.", "합계 금액: 35,000원", "다음에 또 방문해 주세요.", "감사합니다."}},
      {"zh-CHT_rendered",
       edgeocr::test::kDefaultFont,
       {"親愛的顧客您好：", "感謝您在本店購買商品。", "您訂購的貨物將於明天上午送達。", "請妥善保管您的發票與收據。",
        "如需退換貨，請於七日內攜帶憑證辦理。", "營業時間：週一至週六上午九點至晚上八點", "台北市中正區重慶南路一段122號",
        "總金額：新臺幣一千二百五十元", "歡迎再次光臨", "謝謝惠顧"}},
  };
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edgeocr;
  if (argc != 2) {
    std::fprintf(stderr, "usage: render_language_pages OUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  try {
    std::filesystem::create_directories(out);
    for (const LanguagePage& language : pages()) {
      const test::TextRenderer renderer(language.font);
      const int pixel_size = 30, margin = 48;
      int width = 0;
      for (const auto& line : language.lines) width = std::max(width, renderer.text_width(line, pixel_size));
      test::Page page = test::compose_receipt(renderer, language.lines, pixel_size, width + 2 * margin, margin);
      nlohmann::json label;
      label["lines"] = nlohmann::json::array();
      for (const test::DrawnLine& drawn : page.lines) {
        nlohmann::json box = nlohmann::json::array();
        for (const auto& p : drawn.box) box.push_back({p.x, p.y});
        label["lines"].push_back({{"box", box}, {"text", drawn.text}});
      }
      // A scan, not a screenshot: slightly soft, with sensor noise.
      test::gaussian_blur(page.image, 0.7);
      test::add_gaussian_noise(page.image, 5.0, 7);
      cv::imwrite((out / (language.name + ".png")).string(), page.image);
      std::ofstream(out / (language.name + ".json")) << label.dump(1) << "\n";
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "render_language_pages: %s\n", e.what());
    return 1;
  }
  return 0;
}
