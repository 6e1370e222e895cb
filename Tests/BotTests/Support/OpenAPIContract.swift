import Foundation

/// The service's OpenAPI document (Sources/RecordingService/API/openapi.json) read as a contract: which
/// operations exist, which statuses each may answer, and what shape a JSON body must have (the subset of
/// JSON Schema the document uses: type, required, properties, items, enum, additionalProperties, $ref).
struct OpenAPIContract {
    static let path = Processes.packageRoot.appendingPathComponent("Sources/RecordingService/API/openapi.json")

    let document: [String: Any]

    init() throws {
        let data = try Data(contentsOf: Self.path)
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("openapi.json is not a JSON object")
        }
        self.document = document
    }

    /// Every documented operation as "METHOD /path".
    var operations: [String] {
        let paths = document["paths"] as? [String: Any] ?? [:]
        return paths.flatMap { path, item -> [String] in
            let methods = (item as? [String: Any] ?? [:]).keys.filter { ["get", "post", "put", "delete", "patch"].contains($0) }
            return methods.map { "\($0.uppercased()) \(path)" }
        }.sorted()
    }

    func check(method: String, path: String, status: Int, contentType: String, body: Data) -> [String] {
        let name = "\(method) \(path) → \(status)"
        guard let item = (document["paths"] as? [String: Any])?[path] as? [String: Any] else {
            return ["\(name): the path is not documented"]
        }
        guard let operation = item[method.lowercased()] as? [String: Any] else {
            return ["\(name): the method is not documented"]
        }
        guard let response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any] else {
            return ["\(name): the status is not documented"]
        }
        guard let content = response["content"] as? [String: Any] else {
            return body.isEmpty ? [] : ["\(name): a body where none is documented"]
        }
        if let media = content["application/json"] as? [String: Any] {
            guard contentType.hasPrefix("application/json") else { return ["\(name): Content-Type \(contentType), not JSON"] }
            guard let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
                return ["\(name): the body is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))"]
            }
            return validate(value, against: media["schema"] ?? [:], at: name)
        }
        if content["text/plain"] != nil {
            return contentType.hasPrefix("text/plain") ? [] : ["\(name): Content-Type \(contentType), not text/plain"]
        }
        return ["\(name): no media type this check knows"]
    }

    private func resolve(_ schema: Any) -> [String: Any] {
        guard let schema = schema as? [String: Any] else { return [:] }
        guard let reference = schema["$ref"] as? String else { return schema }
        let name = reference.replacingOccurrences(of: "#/components/schemas/", with: "")
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        return resolve(schemas?[name] ?? [:])
    }

    private func validate(_ value: Any, against schemaValue: Any, at place: String) -> [String] {
        let schema = resolve(schemaValue)
        var problems: [String] = []
        if let allowed = schema["enum"] as? [String], !allowed.contains(value as? String ?? "\u{0}") {
            problems.append("\(place): \(value) is not one of \(allowed)")
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(place): not an object"] }
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(place): '\(key)' is required")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, member) in object {
                if let property = properties[key] {
                    problems += validate(member, against: property, at: "\(place).\(key)")
                } else if let additional = schema["additionalProperties"] {
                    problems += validate(member, against: additional, at: "\(place).\(key)")
                } else if !properties.isEmpty {
                    problems.append("\(place): '\(key)' is not documented")
                }
            }
        case "array":
            guard let array = value as? [Any] else { return ["\(place): not an array"] }
            for (index, element) in array.enumerated() {
                problems += validate(element, against: schema["items"] ?? [:], at: "\(place)[\(index)]")
            }
        case "string":
            if !(value is String) { problems.append("\(place): not a string") }
        // Foundation reads JSON numbers as NSNumber, which also answers `is Bool`; a true Bool is its own type.
        case "integer":
            if (value as? NSNumber).map({ $0.doubleValue.rounded() != $0.doubleValue }) ?? true || type(of: value) == Bool.self {
                problems.append("\(place): not an integer")
            }
        case "number":
            if !(value is NSNumber) || type(of: value) == Bool.self { problems.append("\(place): not a number") }
        case "boolean":
            if !(value is Bool) { problems.append("\(place): not a boolean") }
        default:
            break
        }
        return problems
    }
}
