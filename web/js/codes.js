// codes.js - the codelists the filters and forms offer (defence extension
// ext/defence and OCDS), in display order.
export const PROCEDURES = ['restricted', 'negotiatedWithPublication', 'competitiveDialogue', 'negotiatedWithoutPublication',
  'open', 'selective', 'limited', 'direct'];
export const CAPABILITIES = ['dronesUav', 'combatAircraft', 'land', 'cyberElectronicWarfare', 'airDefence', 'ammunition',
  'infrastructure', 'other'];
export const STAGES = ['planning', 'tender', 'award', 'contract', 'implementation', 'closed', 'complete', 'cancelled'];
export const SORTS = ['relevance', 'newest', 'oldest', 'value-desc', 'value-asc'];
export const CLASSIFICATIONS = ['unclassified', 'restricted', 'confidential', 'secret', 'topSecret'];
export const GROUNDS = ['art28-1a', 'art28-1b', 'art28-1c', 'art28-1d', 'art28-1e', 'art28-2a', 'art28-2b', 'art28-3a',
  'art28-3b', 'art28-3c', 'art28-4a', 'art28-4b', 'art28-5'];
export const CATEGORIES = ['goods', 'services', 'works'];
