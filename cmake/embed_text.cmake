# cmake -DINPUT=<file> -DOUTPUT=<file.cc> -DNAME=<identifier> -DNAMESPACE=<ns> -P embed_text.cmake
#
# Writes a C++ source defining `const std::string_view NAMESPACE::NAME` holding
# the text of INPUT, so an asset (an HTML template) is compiled into the binary
# and never looked up at run time. Declare it yourself where it is used.
file(READ "${INPUT}" text)
set(delimiter "barrage_asset")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains )${delimiter}\", which ends the raw string")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/embed_text.cmake: do not edit.\n"
  "#include <string_view>\n\n"
  "namespace ${NAMESPACE} {\n"
  "extern const std::string_view ${NAME};\n"
  "const std::string_view ${NAME} = R\"${delimiter}(${text})${delimiter}\";\n"
  "}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
