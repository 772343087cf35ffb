#include "script/xpath.h"

#include <gtest/gtest.h>

namespace barrage::script {
namespace {

// The SOAP body of Artillery's own XML capture test (capture.test.js).
constexpr std::string_view kJourneys =
    R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns1="http://">
  <soap:Header></soap:Header>
  <soap:Body>
    <tns1:GetJourneys xmlns:tns1="http://">
        <Journey><JourneyId>1</JourneyId><JourneyToCode>871</JourneyToCode></Journey>
        <Journey><JourneyId>2</JourneyId><JourneyToCode>915</JourneyToCode></Journey>
    </tns1:GetJourneys>
  </soap:Body>
</soap:Envelope>)";

TEST(XPath, FirstNodeInDocumentOrder) {
  EXPECT_EQ(XPath::compile("(//Journey)[1]/JourneyId/text()").first_string(kJourneys), "1");
  EXPECT_EQ(XPath::compile("//Journey/JourneyToCode").first_string(kJourneys), "871");
  EXPECT_EQ(XPath::compile("(//Journey)[2]/JourneyId").first_string(kJourneys), "2");
  EXPECT_EQ(XPath::compile("//soap:Body/tns1:GetJourneys/Journey[JourneyId='2']/JourneyToCode")
                .first_string(kJourneys),
            "915");
}

TEST(XPath, AttributesElementsAndValues) {
  const std::string_view doc = R"(<r><a href="/one">first <b>bold</b></a><a href="/two"/></r>)";
  EXPECT_EQ(XPath::compile("//a/@href").first_string(doc), "/one");
  EXPECT_EQ(XPath::compile("//a[2]/@href").first_string(doc), "/two");
  EXPECT_EQ(XPath::compile("//a").first_string(doc), "first bold");  // an element's text
  EXPECT_EQ(XPath::compile("count(//a)").first_string(doc), "2");
  EXPECT_EQ(XPath::compile("//missing").first_string(doc), "");  // nothing: a failed capture
}

TEST(XPath, BodyThatIsNotXmlGivesNothing) {
  const XPath x = XPath::compile("//a");
  EXPECT_EQ(x.first_string(R"({"a": 1})"), std::nullopt);
  EXPECT_EQ(x.first_string("<html><br><a>x</a></html>"), std::nullopt);  // HTML, not XML
  EXPECT_EQ(x.first_string(""), std::nullopt);
  EXPECT_EQ(x.first_string("<r><a>x</r>"), std::nullopt);
}

TEST(XPath, BadExpressionSaysWhere) {
  try {
    (void)XPath::compile("//a[");
    ADD_FAILURE() << "compiled";
  } catch (const XPathError& e) {
    EXPECT_EQ(e.offset(), 4U);
    EXPECT_NE(std::string(e.what()), "");
  }
  EXPECT_THROW(XPath::compile(""), XPathError);
  EXPECT_THROW(XPath::compile("//a/@"), XPathError);
}

}  // namespace
}  // namespace barrage::script
