import { join } from 'node:path';

/**
 * QEMU command lines for each way the media must boot (TESTING.md "QEMU command lines that
 * boot"). Pure: the caller makes the temporary files (firmware variables, QMP socket) first.
 */

export type BootMode =
  | 'uefi-usb'
  | 'uefi-cd'
  | 'bios-cd'
  | 'bios-disk'
  | 'uefi-secureboot-usb'
  | 'uefi-secureboot-cd'
  | 'direct-kernel';

export const OVMF = '/usr/share/ovmf/OVMF.fd';
export const OVMF_SECBOOT_CODE = '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd';
/** Variables with Microsoft's keys enrolled (and Secure Boot on): shim signed by Microsoft boots. */
export const OVMF_SECBOOT_VARS = '/usr/share/OVMF/OVMF_VARS_4M.ms.fd';

export interface ExtraDrive {
  file: string;
  interface: 'virtio' | 'nvme';
  /** Writes go to a temporary overlay and the file stays as it was. */
  isSnapshot?: boolean;
}

export interface Nic {
  mac: string;
  /** Device id for set_link (default nic0, nic1, ...). */
  id?: string;
  model?: 'virtio-net-pci' | 'e1000e';
  /** Start with the cable unplugged. */
  isLinkUp?: boolean;
}

export interface QemuArgsInput {
  mode: BootMode;
  /** The ISO or disk image (all modes but direct-kernel). */
  media?: string;
  kernel?: string;
  /** One initrd file (the harness concatenates several beforehand). */
  initrd?: string;
  append?: string;
  memoryMiB: number;
  cpus: number;
  drives: readonly ExtraDrive[];
  nics: readonly Nic[];
  /** A copy of the Secure Boot variables, private to this run. */
  varsCopy?: string;
  qmpSocket: string;
  /** Start paused (-S), for link changes before the firmware runs. */
  isPaused: boolean;
}

export function nicId(nic: Nic, index: number): string {
  return nic.id ?? `nic${index}`;
}

export function qemuArgs(input: QemuArgsInput): string[] {
  const { mode } = input;
  const isSecureBoot = mode === 'uefi-secureboot-usb' || mode === 'uefi-secureboot-cd';
  const isBios = mode === 'bios-cd' || mode === 'bios-disk';
  const args = [
    '-accel', 'tcg',
    '-machine', isBios ? 'pc' : isSecureBoot ? 'q35,smm=on' : 'q35',
    '-m', String(input.memoryMiB),
    '-smp', String(input.cpus),
    '-display', 'none',
    '-vga', 'none',
    '-serial', 'stdio',
    '-monitor', 'none',
    '-qmp', `unix:${input.qmpSocket},server=on,wait=off`,
    '-no-reboot',
    // No default NIC: the firmware would try PXE on it first, and tests say which NICs they want.
    '-net', 'none',
  ];
  if (input.isPaused) args.push('-S');
  if (mode === 'direct-kernel') {
    if (!input.kernel) throw new Error('direct-kernel needs a kernel');
    args.push('-kernel', input.kernel);
    if (input.initrd) args.push('-initrd', input.initrd);
    if (input.append) args.push('-append', input.append);
  } else {
    if (!input.media) throw new Error(`${mode} needs media (an ISO or disk image)`);
    if (isSecureBoot) {
      if (!input.varsCopy) throw new Error(`${mode} needs a private copy of the Secure Boot variables`);
      args.push(
        '-global', 'driver=cfi.pflash01,property=secure,value=on',
        '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_SECBOOT_CODE}`,
        '-drive', `if=pflash,format=raw,unit=1,file=${input.varsCopy}`,
      );
    } else if (!isBios) {
      args.push('-bios', OVMF);
    }
    switch (mode) {
      case 'uefi-usb':
      case 'uefi-secureboot-usb':
        // snapshot=on: the stick image is never changed by the guest. bootindex=0: OVMF otherwise
        // tries NVMe and virtio disks before USB, and a bootable extra drive would boot instead.
        args.push('-drive', `if=none,id=stick,format=raw,snapshot=on,file=${input.media}`, '-device', 'qemu-xhci', '-device', 'usb-storage,drive=stick,bootindex=0');
        break;
      case 'uefi-cd':
      case 'uefi-secureboot-cd':
      case 'bios-cd':
        args.push('-cdrom', input.media);
        break;
      case 'bios-disk':
        // IDE refuses readonly=on; snapshot=on keeps the image unchanged instead.
        args.push('-drive', `file=${input.media},format=raw,if=ide,snapshot=on`);
        break;
    }
  }
  input.drives.forEach((d, i) => {
    const snap = d.isSnapshot ? ',snapshot=on' : '';
    if (d.interface === 'virtio') args.push('-drive', `file=${d.file},format=raw,if=virtio${snap}`);
    else args.push('-drive', `file=${d.file},format=raw,if=none,id=disk${i}${snap}`, '-device', `nvme,drive=disk${i},serial=emt-disk-${i}`);
  });
  input.nics.forEach((n, i) => {
    // romfile= drops the NIC's PXE ROM: firmware would otherwise try a network boot first.
    args.push('-netdev', `user,id=net${i}`, '-device', `${n.model ?? 'virtio-net-pci'},netdev=net${i},mac=${n.mac},id=${nicId(n, i)},romfile=`);
  });
  return args;
}

/** Where a run keeps its private files. */
export function runFiles(dir: string): { qmpSocket: string; varsCopy: string; initrd: string } {
  return { qmpSocket: join(dir, 'qmp.sock'), varsCopy: join(dir, 'OVMF_VARS.fd'), initrd: join(dir, 'initrd.img') };
}
