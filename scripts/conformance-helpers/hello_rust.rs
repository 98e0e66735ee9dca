// testprogs/hello_rust for bpftrace's runtime tests: a Rust program whose
// functions keep their (mangled) names, fun1 among them.
#[inline(never)]
fn fun1(x: u64) -> u64 {
    x * 2 + 1
}

fn main() {
    let n = std::hint::black_box(3);
    println!("{}", fun1(n));
}
