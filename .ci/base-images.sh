#!/usr/bin/env bash
# Creates, on this machine, the base images the repository's Dockerfile names, under the same
# tags, for machines that reach no container registry (CI here). The Dockerfile users get still
# starts from the official images; this only puts look-alikes where podman finds them first.
#
#   docker.io/library/debian:bookworm-slim   debootstrap --variant=minbase, apt's docker-clean
#   docker.io/library/rust:1.95-slim-bookworm  that + gcc and libc6-dev + this machine's Rust
#                                            toolchain in /usr/local/rustup, as the official one
#   gcr.io/distroless/cc-debian12            the packages distroless's "cc" image is made of
#                                            (libc6, libgcc-s1, libstdc++6, libssl3, ca-certificates,
#                                            tzdata, netbase, base-files), its users and /tmp
#
# An image that already exists is left alone (`--force` rebuilds all three). Needs root,
# podman and debootstrap; Debian's mirror is plain http here.
set -euo pipefail

force=${1:-}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/procure-base.XXXXXX")
trap 'rm -rf "$work"' EXIT

have() { [ "$force" != --force ] && podman image exists "$1"; }
say() { printf 'base-images: %s\n' "$*"; }

# ---- debian:bookworm-slim -----------------------------------------------------------------
slim=docker.io/library/debian:bookworm-slim
if ! have "$slim"; then
  say "debootstrap bookworm (minbase) for $slim"
  root="$work/slim"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  # What the official image adds: apt cleans its caches after each install, and skips docs.
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" >"$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar -C "$root" -c . | podman import --change 'CMD ["bash"]' - "$slim" >/dev/null
fi

# ---- rust:1.95-slim-bookworm --------------------------------------------------------------
rust=docker.io/library/rust:1.95-slim-bookworm
if ! have "$rust"; then
  toolchain=$(rustup show active-toolchain | awk '{print $1}')
  home=$(rustup show home)
  version=$(rustc --version | awk '{print $2}')
  [ "$version" = 1.95.0 ] || { echo "base-images: this machine's rustc is $version, the Dockerfile wants 1.95" >&2; exit 1; }
  say "$rust from $slim + $toolchain ($version)"
  mkdir -p "$work/rust/rustup/toolchains"
  cp -a "$home/toolchains/$toolchain" "$work/rust/rustup/toolchains/$toolchain"
  rm -rf "$work/rust/rustup/toolchains/$toolchain/share/doc"
  printf '[overrides]\n' >"$work/rust/rustup/settings.toml"
  printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n' "$toolchain" >>"$work/rust/rustup/settings.toml"
  cat >"$work/rust/Containerfile" <<EOF
FROM $slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \\
 && rm -rf /var/lib/apt/lists/*
COPY rustup /usr/local/rustup
RUN mkdir -p /usr/local/cargo/bin \\
 && for tool in cargo rustc rustdoc rust-gdb rust-lldb; do \\
      ln -s /usr/local/rustup/toolchains/$toolchain/bin/\$tool /usr/local/cargo/bin/\$tool; done
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    RUST_VERSION=$version
EOF
  podman build --quiet --runtime /usr/sbin/runc --pull=never -t "$rust" "$work/rust" >/dev/null
fi

# ---- gcr.io/distroless/cc-debian12 ----------------------------------------------------------
distroless=gcr.io/distroless/cc-debian12
if ! have "$distroless"; then
  say "$distroless from Debian's packages"
  root="$work/distroless"
  mkdir -p "$root" "$work/debs"
  (cd "$work/debs" && apt-get download -q base-files netbase tzdata ca-certificates libc6 libgcc-s1 \
    libgomp1 libstdc++6 libssl3 >/dev/null)
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
  rm -rf "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/lintian
  # ca-certificates' bundle is made by its maintainer script; distroless ships it made.
  mkdir -p "$root/etc/ssl/certs"
  find "$root/usr/share/ca-certificates" -name '*.crt' -print0 | sort -z | xargs -0 cat >"$root/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n' >"$root/etc/group"
  mkdir -p "$root/tmp" "$root/root" "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  chown 65532:65532 "$root/home/nonroot"
  tar -C "$root" -c . | podman import --change 'USER 0' - "$distroless" >/dev/null
fi

podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'debian:bookworm-slim|rust:1.95|distroless/cc' || true
