import { EmtError } from '../../errors';
import { entryArraySectors, validateGpt, type GptPartition, type GptTable } from './gpt';
import { derivedGuid, normalizeGuid } from './guid';
import { SECTOR } from './mbr';

/**
 * The same partitions laid out for a disk of `diskSectors` (what `sgdisk -e` does): the backup moves
 * to the new last sector and the usable range grows (or shrinks, if nothing lies in the cut part).
 */
export function relocateGpt(table: GptTable, diskSectors: number): GptTable {
  const moved: GptTable = { ...table, diskSectors, lastUsableLba: diskSectors - 2 - entryArraySectors(table.entryCount) };
  const end = Math.max(0, ...table.partitions.map((p) => p?.lastLba ?? 0));
  if (end > moved.lastUsableLba) {
    throw new EmtError(
      'E_GPT_NO_SPACE',
      `The disk (${diskSectors} sectors) is smaller than the partitions on it need (they end at sector ${end}).`,
      'Use a larger disk or stick.',
    );
  }
  validateGpt(moved);
  return moved;
}

export interface NewGptPartition {
  /** Partition number (1-based slot); the first free slot when absent. */
  number?: number;
  typeGuid: string;
  name: string;
  /** Size in 512-byte sectors, or 'rest' for everything up to the last usable sector (last one only). */
  sectors: number | 'rest';
  attributes?: bigint;
  /** Partition GUID; derived from `guidSeed` and the partition number when absent. */
  guid?: string;
}

/**
 * Add partitions after the last used sector, each starting on an `alignSectors` boundary (1 MiB by
 * default, what partitioning tools do), in the order given.
 */
export function appendGptPartitions(table: GptTable, parts: NewGptPartition[], options: { alignSectors?: number; guidSeed?: string } = {}): GptTable {
  const align = options.alignSectors ?? 2048;
  const slots = [...table.partitions];
  let next = Math.max(table.firstUsableLba, ...slots.map((p) => (p ? p.lastLba + 1 : 0)));
  parts.forEach((part, i) => {
    const number = part.number ?? firstFreeSlot(slots) + 1;
    if (number < 1 || number > table.entryCount || slots[number - 1]) {
      throw new EmtError('E_GPT_LAYOUT', `GPT partition slot ${number} is already used or does not exist.`, 'Choose a free partition number.');
    }
    const first = Math.ceil(next / align) * align;
    const isRest = part.sectors === 'rest';
    if (isRest && i !== parts.length - 1) {
      throw new EmtError('E_GPT_LAYOUT', 'Only the last new partition can take the rest of the disk.', 'Give the other partitions a size.');
    }
    const last = isRest ? table.lastUsableLba : first + (part.sectors as number) - 1;
    if (last > table.lastUsableLba || last < first) {
      const short = (last - table.lastUsableLba) * SECTOR;
      throw new EmtError(
        'E_GPT_NO_SPACE',
        `Partition ${number} "${part.name}" does not fit on the disk${short > 0 ? ` (${Math.ceil(short / 2 ** 20)} MiB short)` : ''}.`,
        'Use a larger disk or stick, or make the partitions smaller.',
      );
    }
    if (!part.guid && options.guidSeed === undefined) {
      throw new EmtError('E_GPT_GUID', `Partition ${number} has neither a GUID nor a seed to derive one from.`, 'Pass guid or guidSeed.');
    }
    const p: GptPartition = {
      typeGuid: normalizeGuid(part.typeGuid),
      guid: part.guid ? normalizeGuid(part.guid) : derivedGuid(options.guidSeed!, `partition ${number}`),
      firstLba: first,
      lastLba: last,
      attributes: part.attributes ?? 0n,
      name: part.name,
    };
    while (slots.length < number) slots.push(null);
    slots[number - 1] = p;
    next = last + 1;
  });
  const out = { ...table, partitions: slots };
  validateGpt(out);
  return out;
}

function firstFreeSlot(slots: (GptPartition | null)[]): number {
  const i = slots.indexOf(null);
  return i < 0 ? slots.length : i;
}
