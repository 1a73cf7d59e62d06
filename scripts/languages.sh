# Tesseract language packs EdgeOCR installs (sourced by install-deps.sh and make-bundle.sh).
# Chinese and English are read by the PP-OCR models; every other language by Tesseract's LSTM
# through the Debian pack tesseract-ocr-<code> (`edgeocr ocr -l CODE`, `-l auto`).
# The list is a choice for size: about 2 MiB per pack (jpn, chi_tra, kor: 2-5 MiB).
DEFAULT_LANGS="ara heb rus ukr ell hin tha kor jpn chi_tra deu fra spa ita por vie"

# Debian package names for Tesseract codes given as "ara,rus" / "ara+rus" / "ara rus", plus the
# packs every install needs: osd (script detection for `-l auto`), eng, chi_sim.
lang_packages() {
  local code pkgs=(tesseract-ocr-osd tesseract-ocr-eng tesseract-ocr-chi-sim)
  for code in ${1//[,+]/ }; do
    case $code in
      *[!a-z_]*|"") echo "languages: '$code' is not a Tesseract language code (e.g. ara, chi_tra)" >&2; return 2 ;;
    esac
    pkgs+=("tesseract-ocr-${code//_/-}")
  done
  printf '%s\n' "${pkgs[@]}" | sort -u
}
