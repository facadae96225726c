// A minimal protocol-buffers writer (varints, fixed32/64, length-delimited fields): enough to write ONNX's
// ModelProto exactly, without a dependency. Large byte fields (tensor data) are kept as chunks, never copied.
import { utf8Encode } from '../formats/errors';

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private size = 0;

  /** bytes written so far */
  get length(): number {
    return this.size + this.pending.length;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.size += this.pending.length;
    this.pending = [];
  }

  private varint(value: number | bigint): void {
    // NOTE: negative int64 values are written as their 64-bit two's complement (ten bytes), as protobuf does.
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest >= 0x80n) {
      this.pending.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.pending.push(Number(rest));
  }

  private key(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wireType);
  }

  /** int32/int64/uint64/enum/bool fields */
  int(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.pending.push(...bytes);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.varint(data.length);
    if (data.length < 64) {
      this.pending.push(...data);
      return this;
    }
    this.flush();
    this.chunks.push(data);
    this.size += data.length;
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, utf8Encode(text));
  }

  message(field: number, inner: ProtoWriter): this {
    this.key(field, 2);
    this.varint(inner.length);
    this.flush();
    for (const chunk of inner.finish()) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    return this;
  }

  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}
