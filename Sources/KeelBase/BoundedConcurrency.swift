/// Runs `body` for every element with at most `limit` running at once (Ansible's forks), returning the
/// results in the input's order.
public func concurrentMap<Element: Sendable, Result: Sendable>(
    _ elements: [Element], limit: Int, _ body: @escaping @Sendable (Element) async -> Result
) async -> [Result] {
    await withTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: elements.count)
        var next = 0
        let width = max(1, limit)
        while next < min(width, elements.count) {
            let index = next
            group.addTask { (index, await body(elements[index])) }
            next += 1
        }
        for await (index, result) in group {
            results[index] = result
            if next < elements.count {
                let index2 = next
                group.addTask { (index2, await body(elements[index2])) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
