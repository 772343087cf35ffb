# Fuzz targets for the AWS layer's parsers of service responses (src/aws).
barrage_fuzz_target(aws_xml SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_aws_xml.cc LIBS barrage_aws)
barrage_fuzz_target(aws_json SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_aws_json.cc LIBS barrage_aws)
