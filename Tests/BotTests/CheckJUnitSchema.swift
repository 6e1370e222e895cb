import Foundation

/// A JUnit XML schema in the shape Jenkins, GitLab and GitHub's test reporters read (the Ant/Surefire
/// dialect), written for these tests: `<testsuites>` of `<testsuite>`s with `<properties>` and
/// `<testcase>`s whose outcome is `<failure>`, `<error>` or `<skipped>`.
///
/// It is stricter than most readers on purpose (counts are integers, times are non-negative decimals
/// in seconds, a failure carries a message), so a report that validates is read the same everywhere.
/// Kept as a Swift string, not a resource file, so the test target needs no resource rules.
enum CheckJUnitSchema {
    static let xsd = #"""
    <?xml version="1.0" encoding="UTF-8"?>
    <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
      <xs:simpleType name="seconds">
        <xs:restriction base="xs:decimal">
          <xs:minInclusive value="0"/>
        </xs:restriction>
      </xs:simpleType>

      <xs:complexType name="outcome">
        <xs:simpleContent>
          <xs:extension base="xs:string">
            <xs:attribute name="message" type="xs:string" use="required"/>
            <xs:attribute name="type" type="xs:string"/>
          </xs:extension>
        </xs:simpleContent>
      </xs:complexType>

      <xs:complexType name="skippedType">
        <xs:simpleContent>
          <xs:extension base="xs:string">
            <xs:attribute name="message" type="xs:string"/>
          </xs:extension>
        </xs:simpleContent>
      </xs:complexType>

      <xs:element name="property">
        <xs:complexType>
          <xs:attribute name="name" type="xs:string" use="required"/>
          <xs:attribute name="value" type="xs:string" use="required"/>
        </xs:complexType>
      </xs:element>

      <xs:element name="properties">
        <xs:complexType>
          <xs:sequence>
            <xs:element ref="property" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>

      <xs:element name="testcase">
        <xs:complexType>
          <xs:sequence>
            <xs:choice minOccurs="0" maxOccurs="1">
              <xs:element name="failure" type="outcome"/>
              <xs:element name="error" type="outcome"/>
              <xs:element name="skipped" type="skippedType"/>
            </xs:choice>
            <xs:element name="system-out" type="xs:string" minOccurs="0"/>
            <xs:element name="system-err" type="xs:string" minOccurs="0"/>
          </xs:sequence>
          <xs:attribute name="name" type="xs:string" use="required"/>
          <xs:attribute name="classname" type="xs:string" use="required"/>
          <xs:attribute name="time" type="seconds" use="required"/>
        </xs:complexType>
      </xs:element>

      <xs:element name="testsuite">
        <xs:complexType>
          <xs:sequence>
            <xs:element ref="properties" minOccurs="0"/>
            <xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/>
            <xs:element name="system-out" type="xs:string" minOccurs="0"/>
            <xs:element name="system-err" type="xs:string" minOccurs="0"/>
          </xs:sequence>
          <xs:attribute name="name" type="xs:string" use="required"/>
          <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
          <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
          <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
          <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
          <xs:attribute name="time" type="seconds" use="required"/>
          <xs:attribute name="timestamp" type="xs:string"/>
          <xs:attribute name="hostname" type="xs:string"/>
        </xs:complexType>
      </xs:element>

      <xs:element name="testsuites">
        <xs:complexType>
          <xs:sequence>
            <xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
          <xs:attribute name="name" type="xs:string"/>
          <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
          <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
          <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
          <xs:attribute name="time" type="seconds"/>
        </xs:complexType>
      </xs:element>
    </xs:schema>
    """#

    /// Validates `xml` with the `xmlschema` package (Tests/Interop/requirements.txt); returns the
    /// validator's complaint, or nil when the document is valid.
    static func violations(of xml: String) throws -> String? {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("engage-junit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let schema = directory.appendingPathComponent("junit.xsd")
        let document = directory.appendingPathComponent("report.xml")
        try xsd.write(to: schema, atomically: true, encoding: .utf8)
        try xml.write(to: document, atomically: true, encoding: .utf8)
        return try violations(ofFile: document, schema: schema)
    }

    static func violations(ofFile document: URL) throws -> String? {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("engage-junit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let schema = directory.appendingPathComponent("junit.xsd")
        try xsd.write(to: schema, atomically: true, encoding: .utf8)
        return try violations(ofFile: document, schema: schema)
    }

    private static func violations(ofFile document: URL, schema: URL) throws -> String? {
        let script = """
        import sys, xmlschema
        schema = xmlschema.XMLSchema(sys.argv[1])
        errors = [str(e) for e in schema.iter_errors(sys.argv[2])]
        print("\\n".join(errors[:5]))
        sys.exit(1 if errors else 0)
        """
        let run = try Processes.run("/usr/bin/env", ["python3", "-c", script, schema.path, document.path])
        if run.status == 0 { return nil }
        if run.standardError.contains("No module named 'xmlschema'") {
            throw TestFailure("xmlschema is not installed: pip install -r Tests/Interop/requirements.txt")
        }
        return run.standardOutput + run.standardError
    }
}
