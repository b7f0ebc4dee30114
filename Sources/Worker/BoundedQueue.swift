// BoundedQueue: the blocking FIFO between two worker stages; put waits while it is full, take while it is empty.
import Foundation

/// A FIFO of at most `capacity` items shared by threads. Closing it lets takers drain what is left
/// and then get nil; puts after closing are refused.
final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    private var size: Int { items.count - head }

    /// Adds `item`, waiting for room; false when the queue is closed (the item is not added).
    @discardableResult
    func put(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while size >= capacity && !closed { condition.wait() }
        if closed { return false }
        append(item)
        return true
    }

    /// Adds `item` only if there is room now.
    func tryPut(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, size < capacity else { return false }
        append(item)
        return true
    }

    /// The oldest item, waiting for one; nil once the queue is closed and empty.
    func take() -> Element? { take(until: nil) }

    /// The oldest item, waiting until `deadline` at most; nil on time-out or once closed and empty.
    func take(until deadline: Date?) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while size == 0 && !closed {
            // (NSCondition cannot wait until distantFuture on Linux: a plain wait for no deadline.)
            if let deadline {
                if !condition.wait(until: deadline) { break }
            } else {
                condition.wait()
            }
        }
        guard size > 0 else { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// Waits until there is room or the queue is closed, until `deadline` at most; true when there is room.
    func waitForRoom(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while size >= capacity && !closed {
            if !condition.wait(until: deadline) { break }
        }
        return !closed && size < capacity
    }

    /// Refuses further puts and wakes every waiter; takers still get what was queued.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    var isClosedAndEmpty: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed && size == 0
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return size
    }

    private func append(_ item: Element) {
        items.append(item)
        condition.broadcast()
    }
}
