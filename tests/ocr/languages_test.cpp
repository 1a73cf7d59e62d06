// Language codes, scripts of text and language-pack lookup (no models, no Tesseract run).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "ocr/languages.h"

namespace edgeocr::ocr {
namespace {

TEST(Languages, ChineseAndEnglishGoToPpOthersToTesseract) {
  const LanguageSpec pp = parse_languages("chi_sim+eng");
  EXPECT_TRUE(pp.pp);
  EXPECT_FALSE(pp.automatic);
  EXPECT_TRUE(pp.tesseract.empty());
  EXPECT_TRUE(parse_languages("zh+en").tesseract.empty());
  const LanguageSpec mixed = parse_languages("ara+eng+ara+rus");
  EXPECT_TRUE(mixed.pp);
  EXPECT_EQ(mixed.tesseract, (std::vector<std::string>{"ara", "rus"}));
  const LanguageSpec arabic = parse_languages("ara");
  EXPECT_FALSE(arabic.pp);
  const LanguageSpec automatic = parse_languages("auto");
  EXPECT_TRUE(automatic.automatic);
  EXPECT_TRUE(automatic.pp);
}

TEST(Languages, MalformedCodesAreErrors) {
  for (const char* bad : {"", "+", "eng+", "Fr A", "ara;rm", "auto+eng", "../../etc/passwd"})
    EXPECT_THROW(parse_languages(bad), LanguageError) << bad;
}

TEST(Languages, MissingPackNamesTheDebianPackage) {
  EXPECT_EQ(debian_language_package("chi_tra"), "tesseract-ocr-chi-tra");
  const auto dir = std::filesystem::temp_directory_path() / "edgeocr_languages_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ara.traineddata") << "x";
  EXPECT_TRUE(language_pack_installed(dir, "ara"));
  EXPECT_NO_THROW(require_language_packs(dir, {"ara"}));
  try {
    require_language_packs(dir, {"ara", "kor"});
    FAIL() << "kor is not in " << dir;
  } catch (const LanguageError& e) {
    EXPECT_NE(std::string(e.what()).find("tesseract-ocr-kor"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(tessdata_dir("/x/tessdata"), std::filesystem::path("/x/tessdata"));
}

TEST(Languages, DominantScriptOfText) {
  EXPECT_EQ(dominant_script("Total 12.50"), Script::latin);
  EXPECT_EQ(dominant_script("Ärger über Straße"), Script::latin);
  EXPECT_EQ(dominant_script("合计：12.50元"), Script::han);
  EXPECT_EQ(dominant_script("東京都のニュース"), Script::japanese);
  EXPECT_EQ(dominant_script("서울 날씨 2024"), Script::hangul);
  EXPECT_EQ(dominant_script("والباء الموحدة"), Script::arabic);
  EXPECT_EQ(dominant_script("שלום"), Script::hebrew);
  EXPECT_EQ(dominant_script("Москва, ул. Ленина 5"), Script::cyrillic);
  EXPECT_EQ(dominant_script("Αθήνα"), Script::greek);
  EXPECT_EQ(dominant_script("नमस्ते दुनिया"), Script::devanagari);
  EXPECT_EQ(dominant_script("สวัสดีครับ"), Script::thai);
  EXPECT_EQ(dominant_script("12.50 -- %"), Script::unknown);
  EXPECT_EQ(dominant_script("\xff\xfe"), Script::unknown);  // malformed UTF-8 is no letter
  EXPECT_EQ(script_from_name("Katakana"), Script::japanese);
  EXPECT_EQ(script_name(Script::arabic), "Arabic");
  EXPECT_EQ(auto_language(Script::hangul), "kor");
  EXPECT_EQ(auto_language(Script::latin), "");
}

TEST(Languages, LatinLettersTellALanguageFromCyrillicLookalikes) {
  // PP-OCR's readings of the shared Russian handwriting page (ru_note_33), and real Latin-script
  // text in English, French, Indonesian and Vietnamese.
  const std::string lookalike =
      "Benurectbenhal Tagka.g cmapocmu nobecmu A.H. Toncmoro Xoncmo mep 3mo Kaf Tu Ha mparequu "
      "u ucmopus gbyx gym, nonab- ulux bogo 6opom KOKTeUAS uscmpagaHuv cracmos ma- mepuanohoro "
      "mupa, nokumanus Bakonal ogha gyua conocmabnehus Hox yexnocmeu B croxueme Cepnyxobckou "
      "coombemcmbeuno co cboei ucropueu u He npocmo orenobe ruBaem uz repoeb ycunehus";
  EXPECT_EQ(judge_latin_letters(lookalike), LatinLetters::lookalike);
  for (const char* latin : {
           "Controls and interventions were assigned at random to the patients of the study; the "
           "results of this trial are reported with their confidence intervals in the tables",
           "Les habitants de la ville ont vu arriver les premiers touristes de la saison, et les "
           "commerces du centre restent ouverts tard dans la soiree pendant tout le mois",
           "elektron adalah suatu area dalam molekul yang ditempati oleh pasangan elektron bebas "
           "menurut teori tolakan pasangan elektron kulit valensi bentuk molekul dapat ditentukan",
           "Trong mat phang toa do cho tam giac co dinh la cac diem thuoc duong thang tinh dien "
           "tich cua tam giac va tim toa do trong tam cua tam giac do khi biet cac dinh"})
    EXPECT_EQ(judge_latin_letters(latin), LatinLetters::language) << latin;
  EXPECT_EQ(judge_latin_letters("MocKBa, yn. TBepckaa 7"), LatinLetters::too_few);
  EXPECT_EQ(judge_latin_letters("TOTAL 12.50 CASH 20.00 CHANGE 7.50"), LatinLetters::too_few);
}

TEST(Languages, VietnameseStandsOutByItsOwnLetters) {
  // The default recognizer's reading of the shared Vietnamese exam page's first lines: it drops
  // the letters it does not know (ầ ắ ệ ọ) and keeps ơ ư đ.
  const std::string pp_reading =
      "PHÒNG GIÁO DUC & ĐÀO TO ... Đ KIM TRA GIÛA HQC K 1 TRUÒNG ... MÔN: TOÁN – LÓP 11 "
      "Thòi gian: 90 phút (không k thòi gian giao đ) Phn I. Câu trc nghim nhiu phưong án la chn. "
      "Hc sinh trå li tù câu 1 đn câu 12. Mi câu hi, hc sinh chi chn mt phương án "
      "Câu 1. Góc có s đo 108° đi sang radian là Câu 2. Chn khng đnh đúng trong các khng đnh sau:";
  EXPECT_EQ(latin_language_by_letters(pp_reading), "vie");
  EXPECT_EQ(latin_language_by_letters("Mỗi buổi sáng, mẹ nấu phở cho cả nhà trước khi đi làm ở chợ Bến Thành, "
                                      "còn bố đưa các con đến trường học bên bờ sông, chiều về cả nhà cùng ăn cơm"),
            "vie");
  // Other Latin-script languages with marks of their own: French, Romanian (ă, â, î), Croatian (đ).
  for (const char* other : {
           "Les élèves ont répondu à toutes les questions de l'épreuve écrite, même à celles qui "
           "paraissaient les plus difficiles au début de l'année scolaire",
           "Elevii au răspuns la toate întrebările din lucrarea scrisă, chiar și la cele care păreau "
           "cele mai grele la începutul anului școlar în țară",
           "Učenici su odgovorili na sva pitanja pismenog ispita, čak i na ona koja su se činila "
           "najtežima na početku školske godine, a zatim su otišli kući na ručak i međusobno razgovarali"})
    EXPECT_EQ(latin_language_by_letters(other), "") << other;
  EXPECT_EQ(latin_language_by_letters("Mỗi buổi sáng"), "");  // too few letters to judge
}

TEST(Languages, LettersComparedUpToTheirMarks) {
  const std::vector<Letter> letters = letters_of("Trường 12, π!");
  ASSERT_EQ(letters.size(), 7u);
  EXPECT_EQ(letters[0].base, U't');
  EXPECT_EQ(letters[2].code, U'ư');
  EXPECT_EQ(letters[2].base, U'u');
  EXPECT_EQ(letters[3].base, U'o');  // ờ
  EXPECT_EQ(letters[6].base, U'π');
  EXPECT_EQ(letters_of("Đ")[0].base, U'd');
  EXPECT_EQ(letters_of("œ")[0].base, U'œ');  // no plain letter under it
}

}  // namespace
}  // namespace edgeocr::ocr
