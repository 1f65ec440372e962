import type { BootChainInfo } from '../../app/contract/build';
import { t } from '../i18n';
import { formatBytes } from '../i18n/format';

/** What a signed boot chain folder holds: each file, whether it is signed, and who signed it. */
export function BootChainDetails({ chain }: { chain: BootChainInfo }) {
  const b = t.bootChain;
  return (
    <div className="boot-chain" data-testid="boot-chain">
      <table className="boot-chain-files">
        <caption>{b.caption(chain.dir)}</caption>
        <thead>
          <tr>
            <th scope="col">{b.file}</th>
            <th scope="col">{b.signed}</th>
            <th scope="col">{b.signers}</th>
          </tr>
        </thead>
        <tbody>
          {chain.files.map((f) => (
            <tr key={f.name} data-file={f.name}>
              <th scope="row">
                <code>{f.name}</code> <span className="field-hint">{formatBytes(f.size)}</span>
              </th>
              <td>{f.isSigned ? b.yes : b.no}</td>
              <td>{f.signers.map((s) => s.subject).join(', ') || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className={chain.isSigned ? 'field-hint' : 'finding finding-warning'}>{chain.isSigned ? b.isSigned : b.notSigned}</p>
      {chain.packages.length > 0 && <p className="field-hint">{b.packages(chain.packages.map((p) => `${p.name} ${p.version}`).join(', '))}</p>}
    </div>
  );
}
