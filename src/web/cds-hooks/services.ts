/** A CDS service of this server (CDS Hooks 2.0 "Discovery"). */
export interface CdsService {
  id: string;
  hook: 'order-select' | 'order-sign';
  title: string;
  description: string;
  prefetch: Record<string, string>;
  usageRequirements: string;
}

const PREFETCH = { patient: 'Patient/{{context.patientId}}' };
const USAGE =
  'Works without prefetch: the order codes are in the context. A prefetched Patient lets plan steps that depend on the patient apply. Orders match when a coding of their code is one of the procedure codes of a library plan (CPT, ICD-10-PCS, or a code a ConceptMap maps onto them).';

/** One service per hook (order-select, order-sign; hook version 1.0 of the CDS Hooks library). */
export const CDS_SERVICES: readonly CdsService[] = [
  {
    id: 'procedure-education',
    hook: 'order-select',
    title: 'Patient education for the selected procedure',
    description:
      'When a procedure with patient education in the library is selected, offers one card per plan: the handout, the key risks, the preparation steps dated from the order, and suggestions to send the handout and assign the pre-op questionnaire.',
    prefetch: PREFETCH,
    usageRequirements: USAGE,
  },
  {
    id: 'procedure-education-sign',
    hook: 'order-sign',
    title: 'Patient education for the procedures being signed',
    description:
      'When orders are signed, offers one card per library plan that any of the orders asks for: the handout, the key risks, the preparation steps dated from the order, and suggestions to send the handout and assign the pre-op questionnaire.',
    prefetch: PREFETCH,
    usageRequirements: USAGE,
  },
];

export function findService(id: string): CdsService | undefined {
  return CDS_SERVICES.find((s) => s.id === id);
}
