import { PACKAGE_FILES, packageFileName, packageFolderName, type EvidenceManifest } from './manifest.ts';

/**
 * README.txt of an evidence package, in Vietnamese then English: what the package is, what
 * each file holds, and three ways to check it (Vigil; `sha256sum -c` alone for the hashes;
 * OpenSSL for the signature). Pure; plain UTF-8 text with CRLF-free lines.
 */
const MAX_GAPS_LISTED = 20;

export function readmeText(m: EvidenceManifest): string {
  const clips = m.clips.map((c) => c.name);
  const clipList = clips.join(', ');
  const camera = m.camera.name ? `${m.camera.name} (${m.camera.id})` : m.camera.id;
  const site = m.site.name ?? m.site.id ?? '-';
  const gapLines = m.gaps.slice(0, MAX_GAPS_LISTED).map((g) => `\n                          - ${g.start.iso} – ${g.end.iso}: ${g.reason}`).join('');
  const more = m.gaps.length > MAX_GAPS_LISTED ? `\n                          - … (${m.gaps.length - MAX_GAPS_LISTED} more / thêm ${m.gaps.length - MAX_GAPS_LISTED})` : '';
  const gapsVi = m.gaps.length === 0 ? 'không có' : `${m.gaps.length} khoảng (chi tiết trong ${PACKAGE_FILES.manifest})${gapLines}${more}`;
  const gapsEn = m.gaps.length === 0 ? 'none' : `${m.gaps.length} (details in ${PACKAGE_FILES.manifest})${gapLines.replaceAll('\n                          ', '\n                       ')}${more.replaceAll('\n                          ', '\n                       ')}`;
  const backfilled = m.backfilled ?? [];
  const backLines = backfilled.slice(0, MAX_GAPS_LISTED).map((b) => `\n                          - ${b.start.iso} – ${b.end.iso}`).join('');
  const backMore = backfilled.length > MAX_GAPS_LISTED ? `\n                          - … (${backfilled.length - MAX_GAPS_LISTED} more / thêm ${backfilled.length - MAX_GAPS_LISTED})` : '';
  const backVi = backfilled.length === 0 ? 'không có (toàn bộ ghi trực tiếp)' : `${backfilled.length} khoảng khôi phục từ thẻ nhớ camera sau khi mất kết nối (nguyên gốc, đặt theo giờ hệ thống có hiệu chỉnh độ lệch đồng hồ camera; từng đoạn ghi "source": "backfill" trong ${PACKAGE_FILES.manifest})${backLines}${backMore}`;
  const backEn = backfilled.length === 0 ? 'none (all recorded live)' : `${backfilled.length}, recovered from the camera's own storage after a disconnection (unchanged footage, placed on Vigil's time corrected by the camera clock offset; each such segment has "source": "backfill" in ${PACKAGE_FILES.manifest})${backLines.replaceAll('\n                          ', '\n                       ')}${backMore.replaceAll('\n                          ', '\n                       ')}`;
  const measuredVi = m.camera.clockOffsetMeasuredAt ? `, đo lúc ${m.camera.clockOffsetMeasuredAt.iso}` : '';
  const measuredEn = m.camera.clockOffsetMeasuredAt ? `, measured at ${m.camera.clockOffsetMeasuredAt.iso}` : '';
  const offsetVi = m.camera.clockOffsetMs === null ? 'chưa đo' : `${m.camera.clockOffsetMs} ms (dương: đồng hồ camera chạy nhanh hơn${measuredVi})`;
  const offsetEn = m.camera.clockOffsetMs === null ? 'not measured' : `${m.camera.clockOffsetMs} ms (positive: the camera clock was ahead${measuredEn})`;
  const folder = packageFolderName(m.packageId);
  const tarName = packageFileName(m.packageId);
  const openssl = `openssl pkeyutl -verify -pubin -inkey ${PACKAGE_FILES.publicKey} -rawin -in ${PACKAGE_FILES.sums} -sigfile ${PACKAGE_FILES.signature}`;
  return `GÓI BẰNG CHỨNG VIDEO / VIDEO EVIDENCE PACKAGE — Vigil ${m.vigilVersion}
Mã gói / Package id: ${m.packageId}
Dấu vân tay khoá ký / Signing key fingerprint: ${m.signing.fingerprint}

=== TIẾNG VIỆT ===

Gói này chứa đoạn video trích nguyên gốc (không mã hoá lại) từ camera giám sát, kèm
thông tin mô tả và chữ ký số, để bất kỳ ai cũng có thể kiểm tra rằng nội dung không bị
thay đổi kể từ khi xuất.

  Camera:                 ${camera}
  Địa điểm:               ${site}
  Thời gian yêu cầu:      ${m.askedRange.start.iso} đến ${m.askedRange.end.iso}
  Thời gian thực tế:      ${m.actualRange.start.iso} đến ${m.actualRange.end.iso}
                          (bắt đầu từ khung hình khoá ngay trước thời điểm yêu cầu)
  Khoảng mất hình:        ${gapsVi}
  Khôi phục từ thẻ nhớ:   ${backVi}
  Độ lệch đồng hồ camera: ${offsetVi}
  Hồ sơ:                  ${m.case.reference} — ${m.case.title}
  Người xuất:             ${m.exportedBy.username}, lúc ${m.createdAt.iso}
  Lý do:                  ${m.reason}

Các tệp:
  ${clipList}
      đoạn video MP4, phát được bằng trình phát thông thường (VLC, trình duyệt).
  ${PACKAGE_FILES.manifest}
      mô tả: camera, địa điểm, thời gian yêu cầu và thực tế (giờ địa phương và mili giây
      UTC), các khoảng mất hình và lý do, các đoạn lưu trữ gốc và mã SHA-256 của chúng,
      người xuất, lý do, hồ sơ.
  ${PACKAGE_FILES.sums}      mã SHA-256 của từng tệp khác.
  ${PACKAGE_FILES.signature}  chữ ký số Ed25519 trên tệp ${PACKAGE_FILES.sums}.
  ${PACKAGE_FILES.publicKey}  khoá công khai để kiểm tra chữ ký.
  ${PACKAGE_FILES.readme}      tệp này.

Cách kiểm tra:
  1. Bằng Vigil (kiểm tra tất cả):
       vigil verify ${tarName} --fingerprint ${m.signing.fingerprint}
  2. Chỉ kiểm tra mã băm, không cần Vigil: giải nén, vào thư mục rồi chạy
       tar -xf ${tarName} && cd ${folder}
       sha256sum -c ${PACKAGE_FILES.sums}
     Mọi dòng phải báo "OK" (hoặc từ tương đương theo ngôn ngữ của máy).
  3. Kiểm tra chữ ký bằng OpenSSL 3 (trong thư mục đã giải nén):
       ${openssl}
     Kết quả phải là "Signature Verified Successfully".
  Chữ ký chỉ chứng minh nội dung không đổi kể từ khi ký bằng khoá kèm theo. Để biết ai đã
  ký, hãy so dấu vân tay ở trên với dấu vân tay do đơn vị quản lý hệ thống cung cấp qua
  một kênh khác (văn bản, điện thoại).

=== ENGLISH ===

This package holds footage copied unchanged (not re-encoded) from a surveillance camera,
with a description and a digital signature, so that anyone can check that nothing was
changed since it was exported.

  Camera:              ${camera}
  Site:                ${site}
  Asked range:         ${m.askedRange.start.iso} to ${m.askedRange.end.iso}
  Actual range:        ${m.actualRange.start.iso} to ${m.actualRange.end.iso}
                       (starts at the keyframe at or before the asked start)
  Gaps (no footage):   ${gapsEn}
  Recovered from card: ${backEn}
  Camera clock offset: ${offsetEn}
  Case:                ${m.case.reference} — ${m.case.title}
  Exported by:         ${m.exportedBy.username}, at ${m.createdAt.iso}
  Reason:              ${m.reason}

Files:
  ${clipList}
      the MP4 clip; plays in ordinary players (VLC, a web browser).
  ${PACKAGE_FILES.manifest}
      camera, site, asked and actual range (local time and UTC epoch milliseconds), gaps
      with their reasons, the stored source segments and their SHA-256, who exported it,
      why, and for which case.
  ${PACKAGE_FILES.sums}      the SHA-256 of every other file.
  ${PACKAGE_FILES.signature}  an Ed25519 signature over ${PACKAGE_FILES.sums}.
  ${PACKAGE_FILES.publicKey}  the public key that checks the signature.
  ${PACKAGE_FILES.readme}      this file.

How to check it:
  1. With Vigil (checks everything):
       vigil verify ${tarName} --fingerprint ${m.signing.fingerprint}
  2. The hashes only, without Vigil: extract, enter the folder and run
       tar -xf ${tarName} && cd ${folder}
       sha256sum -c ${PACKAGE_FILES.sums}
     Every line must say "OK".
  3. The signature with OpenSSL 3 (in the extracted folder):
       ${openssl}
     It must print "Signature Verified Successfully".
  The signature proves only that nothing changed since it was signed with the enclosed
  key. To know who signed it, compare the fingerprint above with the one the system's
  operator gives you through another channel (a letter, a phone call).
`;
}
