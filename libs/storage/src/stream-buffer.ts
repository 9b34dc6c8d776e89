/**
 * Size of the pieces media bytes move in (file reads, batched file writes, stream buffers).
 * Sockets and default file streams move 64 KiB at a time, and every piece costs a system call
 * or a round trip to the libuv thread pool plus its callbacks: at 1 MiB those costs are paid
 * 16 times less often, for a fixed 1–2 MiB of memory per transfer.
 */
export const STREAM_BUFFER_BYTES = 1024 * 1024;
