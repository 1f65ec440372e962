#!/usr/bin/env bash
# Debian 12 packages a fresh machine lacks for the tests (QEMU boots, oracles, fixtures, Chromium)
# and for the boot loader kit (`npm run kit` copies GRUB/ISOLINUX files out of these packages).
# Run as root. Safe to run again.
set -euo pipefail
packages=(
  # boot loader kit and the signed chain for Secure Boot tests
  grub-efi-amd64-bin grub-efi-amd64-signed shim-signed shim-helpers-amd64-signed isolinux syslinux-common
  # QEMU and firmware
  qemu-system-x86 ovmf
  # oracles
  xorriso libarchive-tools dosfstools mtools gdisk fdisk cpio genisoimage e2fsprogs exfatprogs file
  # python3's zlib says where a raw deflate stream ends: the media tests count gzip members with it
  python3
  # the polkit policy of the Linux packages is checked against its DTD (polkitd ships the DTD)
  libxml2-utils polkitd
  # profile oracles: Caddy adapts our Caddyfile; PyYAML reads config-file as EMT-S's USB script does
  caddy python3-yaml
  # compressors for initramfs test segments
  zstd xz-utils lz4 bzip2
  # fixture releases: kernel package download, busybox, real dracut, a trimmed systemd root
  dracut-core mmdebstrap busybox-static kmod systemd
  # browser for the UI tests
  chromium
  # misc (openssl: test keys, signatures and certificates for the release downloader)
  curl openssl util-linux iproute2 udev procps psmisc
)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"
