// Every string of the app in English and French, the current language, and Intl formatting.
// The language comes from the browser (navigator.languages) until the user picks one.
const en = {
  app: 'Tandem', tagline: 'Reverse mentoring: juniors teach managers the tools they use every day.',
  skip: 'Skip to content', lang_switch: 'Français', lang_switch_label: 'Passer en français',
  nav: 'Main', nav_profile: 'Profile', nav_availability: 'Availability', nav_pairs: 'My pairs',
  nav_achievements: 'Achievements', nav_leaderboards: 'Leaderboards', nav_hr: 'Rounds',
  nav_employees: 'Employees', nav_dashboard: 'Dashboard', nav_badges: 'Badges', nav_webhooks: 'Webhooks',
  sign_out: 'Sign out', loading: 'Loading…', saved: 'Saved.', save: 'Save', cancel: 'Cancel', remove: 'Remove',
  error: 'Error: {msg}', none: 'None yet.', yes: 'Yes', no: 'No',
  // sign in
  signin_title: 'Sign in to Tandem', signup_title: 'New here? Sign up',
  signup_intro: 'Tell us who you are. You get a personal access token, kept in this browser; copy it to sign in on another device.',
  token_title: 'I already have a token', token_label: 'Access token', token_help: 'Starts with tdm_. HR accounts get theirs from “tandemd admin create-hr”.',
  signin: 'Sign in', signup: 'Sign up', bad_token: 'This token is not valid.',
  your_token: 'Your access token (shown once; keep it safe):',
  email: 'Work email', display_name: 'Name', department: 'Department', site: 'Site', job_title: 'Job title',
  timezone: 'Time zone', languages: 'Languages you speak', languages_help: 'Two-letter codes separated by commas, e.g. fr, en',
  manager_email: 'Your manager’s email (optional)', role: 'I want to', role_mentor: 'Teach (mentor)',
  role_mentee: 'Learn (manager being mentored)', role_both: 'Both teach and learn',
  mentor_capacity: 'How many managers can you mentor at once?',
  consent_title: 'Leaderboards', consent_label: 'Show my name on the leaderboards',
  consent_help: 'Optional. Without it, your points still count for your department’s board, but your name never appears on a people board or in the activity feed (“a colleague from your department” is shown instead). You can change this at any time.',
  // profile
  profile_title: 'My profile', teaching_title: 'What I can teach', learning_title: 'What I want to learn',
  skill: 'Skill', level: 'Level', current_level: 'My level today', priority: 'Priority', add_skill: 'Add a skill',
  teach_level_1: '1 – I know the basics', teach_level_2: '2 – I use it regularly', teach_level_3: '3 – I use it daily with ease',
  teach_level_4: '4 – I already help others with it', teach_level_5: '5 – I could train a whole team',
  learn_level_0: '0 – Never used it', learn_level_1: '1 – I have tried it', learn_level_2: '2 – I use it now and then',
  learn_level_3: '3 – I use it regularly', learn_level_4: '4 – I am comfortable', learn_level_5: '5 – I master it',
  priority_1: '1 – What I want most', priority_2: '2 – Would really help', priority_3: '3 – Nice to have',
  levels_explained: 'Levels go from 0 (never used) to 5 (could train others). A mentor is proposed for a skill only when their level is above yours; the bigger the gap and the higher your priority, the better the match.',
  erase_title: 'My data', export: 'Download my data', erase: 'Erase my account', erase_confirm: 'Erase your account and everything Tandem holds about you? This cannot be undone.',
  // availability
  avail_title: 'My weekly availability',
  avail_help: 'Times are in your own time zone ({tz}). Drag down a day’s column to add a slot (15-minute steps); click a slot to remove it. Slots cannot overlap. You can also add slots with the form below.',
  day_mon: 'Monday', day_tue: 'Tuesday', day_wed: 'Wednesday', day_thu: 'Thursday', day_fri: 'Friday', day_sat: 'Saturday', day_sun: 'Sunday',
  day: 'Day', start: 'Start', end: 'End', add_slot: 'Add slot', slot_overlap: 'This slot overlaps another one on the same day.',
  slot_order: 'The end must be after the start.', slots_list: 'My slots', show_night: 'Show night hours', hours_total: '{h} hours a week',
  remove_slot: 'Remove {day} {start}–{end}',
  // pairs
  pairs_title: 'My pairs', no_pairs: 'No pair yet. HR publishes pairs after each matching round.',
  pair_title: 'Pair with {name}', partner: 'Your partner', role_in_pair_mentor: 'You mentor', role_in_pair_mentee: 'You are mentored by',
  skills_to_work: 'Skills to work on', shared_slots: 'Times you are both free', your_time: 'Your time', partner_time: '{name}’s time',
  proposed_slot: 'Proposed weekly meeting', download_invite: 'Download the calendar invitation', no_slot: 'No common time found: agree on one together.',
  every_week_no: 'Not every week: check the dates.',
  sessions_title: 'Sessions', log_session: 'Log a session', occurred_at: 'Date and time', duration: 'Length (minutes)',
  rating: 'How useful was it? (1 to 5)', note: 'Private note (only the two of you see it)', log: 'Log session',
  status_pending: 'Waiting for the mentor', status_confirmed: 'Confirmed', status_disputed: 'Disputed',
  confirm: 'Confirm', dispute: 'Dispute', dispute_reason: 'Why? (required)', send_dispute: 'Send dispute',
  session_explain: 'The manager logs each session; the mentor confirms it. Only confirmed sessions earn points and badges.',
  end_title: 'End the pair', end_help: 'Ending a pair with at least one confirmed session completes it and earns both of you points.',
  feedback: 'Feedback', end: 'End pair', ended: 'Ended', active: 'Active', completed: 'Completed',
  history: 'History', starts_on: 'Starts', ends_on: 'Ends', status: 'Status', feedback_from_mentor: 'Mentor', feedback_from_mentee: 'Manager', feedback_from_hr: 'HR',
  // achievements
  ach_title: 'My achievements', points: 'Points', level_name: 'Level {n}: {name}', next_level: '{n} points to {name}',
  top_level: 'Top level reached.', badges: 'Badges', next_badges: 'Next badges', ledger: 'Points ledger',
  open_badge: 'Open Badge (verifiable)', add_linkedin: 'Add to LinkedIn', revoked: 'Revoked', awarded_on: 'Awarded {date}',
  hours_given: 'Hours given', hours_received: 'Hours received', rule: 'Rule', date: 'Date', reason: 'Reason', capped: 'capped from {n}',
  // leaderboards
  lb_title: 'Leaderboards', lb_mentors: 'Mentors', lb_managers: 'Managers', lb_departments: 'Departments',
  period: 'Period', period_week: 'This week', period_month: 'This month', period_quarter: 'This quarter', period_all: 'All time',
  scope: 'Scope', scope_company: 'Company', scope_department: 'My department', scope_site: 'My site', rank: 'Rank', name: 'Name',
  my_rank: 'You have {points} points: rank {rank}.', not_on_board: 'Your name is not shown (no consent). Turn it on in your profile.',
  no_points: 'You have no points in this period yet.', neighbours: 'Around you', headcount: 'People', hours_per_head: 'Hours per person',
  lb_consent: 'Only people who agreed appear by name. Department boards count everyone’s confirmed mentoring hours.',
  // HR
  hr_title: 'Matching rounds', new_round: 'New round', round_name: 'Name', objective: 'Objective',
  objective_max_matched_then_score: 'Match as many managers as possible, then the best matches',
  objective_max_score: 'Best matches overall, even if fewer managers are matched',
  weights: 'Weights', w_skill_gain: 'Skill gain', w_cross_department: 'Different departments', w_overlap_per_hour: 'Per hour of common time',
  w_overlap_cap_hours: 'Common time counted up to (hours)', w_previously_unmatched: 'Manager left unmatched last time',
  session_minutes: 'Session length (minutes)', filter_departments: 'Only these departments (comma-separated, optional)',
  max_mentors_per_team: 'At most this many mentors from one team (optional)', create_solve: 'Create and solve',
  round_status_draft: 'Draft', round_status_solving: 'Solving…', round_status_solved: 'Solved', round_status_published: 'Published',
  round_status_failed: 'Failed', round_status_cancelled: 'Cancelled', rounds: 'Rounds', open: 'Open',
  review_title: 'Round: {name}', matched: '{m} of {n} managers matched', solve_time: 'solved in {ms} ms ({opt})',
  pairs: 'Proposed pairs', mentor: 'Mentor', mentee: 'Manager', score: 'Score', why: 'Why',
  b_skill_gain: 'skills {v}', b_cross_department: 'departments {v}', b_overlap: 'time {v}', b_previously_unmatched: 'waited {v}',
  pin: 'Pin', unpin: 'Unpin', forbid: 'Forbid', pinned: 'Pinned', kept: 'Kept', pins: 'Pinned pairs', forbidden: 'Forbidden pairs',
  resolve: 'Re-solve', publish: 'Publish', publish_confirm: 'Publish this round? The pairs will see each other.', unmatched: 'Unmatched managers',
  reason_no_candidate: 'No mentor passes the rules', reason_candidates_taken: 'Suitable mentors were given to others',
  rc_language: 'no common language', rc_skill: 'no skill above theirs', rc_availability: 'no common time', rc_reporting_line: 'same reporting line',
  rc_history: 'already paired before', rc_forbidden: 'forbidden by HR', changes: 'Changes since the last solve: {added} new, {removed} gone',
  warnings: 'Warnings', add_pin_form: 'Pin or forbid a pair by ids', mentor_id: 'Mentor id', mentee_id: 'Manager id',
  emp_title: 'Employees', filters: 'Filters', any: 'Any', apply: 'Apply', more: 'Load more', id: 'Id',
  dash_title: 'Programme dashboard', participation: 'Participation (matched / signed-up managers)', hours_by_dept: 'Mentoring hours given',
  sessions_by_period: 'Confirmed sessions by period', stalled: 'Stalled pairs', export_csv: 'Export CSV', active_pairs: 'Active pairs',
  sessions_given: 'Sessions', avg_rating: 'Average rating', chart_table: 'Data of the chart',
  badges_title: 'Badges', badge_slug: 'Identifier (a-z, 0-9, _)', badge_name: 'Name', badge_desc: 'Description', badge_criteria: 'Criteria in words',
  badge_role: 'For', badge_role_mentor: 'Mentors', badge_role_mentee: 'Managers', badge_role_any: 'Everyone', badge_min: 'Confirmed sessions needed',
  badge_color: 'Colour', create: 'Create',
  wh_title: 'Webhooks', wh_event: 'Event', wh_url: 'URL', wh_secret: 'Secret (for the signature)', wh_deliveries: 'Delivered / pending / failed', delete: 'Delete',
};

const fr = {
  app: 'Tandem', tagline: 'Mentorat inversé : les juniors apprennent aux managers les outils de leur quotidien.',
  skip: 'Aller au contenu', lang_switch: 'English', lang_switch_label: 'Switch to English',
  nav: 'Principal', nav_profile: 'Profil', nav_availability: 'Disponibilités', nav_pairs: 'Mes binômes',
  nav_achievements: 'Réussites', nav_leaderboards: 'Classements', nav_hr: 'Campagnes',
  nav_employees: 'Salariés', nav_dashboard: 'Tableau de bord', nav_badges: 'Badges', nav_webhooks: 'Webhooks',
  sign_out: 'Se déconnecter', loading: 'Chargement…', saved: 'Enregistré.', save: 'Enregistrer', cancel: 'Annuler', remove: 'Retirer',
  error: 'Erreur : {msg}', none: 'Rien pour l’instant.', yes: 'Oui', no: 'Non',
  signin_title: 'Se connecter à Tandem', signup_title: 'Nouveau ? Inscrivez-vous',
  signup_intro: 'Dites-nous qui vous êtes. Vous recevez un jeton d’accès personnel, gardé dans ce navigateur ; copiez-le pour vous connecter sur un autre appareil.',
  token_title: 'J’ai déjà un jeton', token_label: 'Jeton d’accès', token_help: 'Commence par tdm_. Les comptes RH reçoivent le leur avec « tandemd admin create-hr ».',
  signin: 'Se connecter', signup: 'S’inscrire', bad_token: 'Ce jeton n’est pas valide.',
  your_token: 'Votre jeton d’accès (affiché une seule fois ; gardez-le en lieu sûr) :',
  email: 'E-mail professionnel', display_name: 'Nom', department: 'Direction', site: 'Site', job_title: 'Poste',
  timezone: 'Fuseau horaire', languages: 'Langues parlées', languages_help: 'Codes à deux lettres séparés par des virgules, par ex. fr, en',
  manager_email: 'E-mail de votre manager (facultatif)', role: 'Je veux', role_mentor: 'Transmettre (mentor)',
  role_mentee: 'Apprendre (manager accompagné)', role_both: 'Transmettre et apprendre',
  mentor_capacity: 'Combien de managers pouvez-vous accompagner à la fois ?',
  consent_title: 'Classements', consent_label: 'Afficher mon nom dans les classements',
  consent_help: 'Facultatif. Sans votre accord, vos points comptent pour le classement de votre direction, mais votre nom n’apparaît dans aucun classement nominatif ni dans le fil d’activité (« un collègue de votre direction » est affiché). Vous pouvez changer d’avis à tout moment.',
  profile_title: 'Mon profil', teaching_title: 'Ce que je peux transmettre', learning_title: 'Ce que je veux apprendre',
  skill: 'Compétence', level: 'Niveau', current_level: 'Mon niveau aujourd’hui', priority: 'Priorité', add_skill: 'Ajouter une compétence',
  teach_level_1: '1 – Je connais les bases', teach_level_2: '2 – Je l’utilise régulièrement', teach_level_3: '3 – Je l’utilise chaque jour avec aisance',
  teach_level_4: '4 – J’aide déjà les autres', teach_level_5: '5 – Je pourrais former toute une équipe',
  learn_level_0: '0 – Jamais utilisé', learn_level_1: '1 – J’ai essayé', learn_level_2: '2 – Je l’utilise de temps en temps',
  learn_level_3: '3 – Je l’utilise régulièrement', learn_level_4: '4 – Je suis à l’aise', learn_level_5: '5 – Je maîtrise',
  priority_1: '1 – Ce que je veux le plus', priority_2: '2 – M’aiderait beaucoup', priority_3: '3 – Ce serait un plus',
  levels_explained: 'Les niveaux vont de 0 (jamais utilisé) à 5 (peut former les autres). Un mentor n’est proposé pour une compétence que si son niveau dépasse le vôtre ; plus l’écart est grand et votre priorité élevée, meilleur est le binôme.',
  erase_title: 'Mes données', export: 'Télécharger mes données', erase: 'Supprimer mon compte', erase_confirm: 'Supprimer votre compte et tout ce que Tandem détient sur vous ? C’est définitif.',
  avail_title: 'Mes disponibilités de la semaine',
  avail_help: 'Les heures sont dans votre fuseau horaire ({tz}). Faites glisser vers le bas dans la colonne d’un jour pour ajouter un créneau (pas de 15 minutes) ; cliquez sur un créneau pour le retirer. Les créneaux ne peuvent pas se chevaucher. Vous pouvez aussi ajouter des créneaux avec le formulaire ci-dessous.',
  day_mon: 'Lundi', day_tue: 'Mardi', day_wed: 'Mercredi', day_thu: 'Jeudi', day_fri: 'Vendredi', day_sat: 'Samedi', day_sun: 'Dimanche',
  day: 'Jour', start: 'Début', end: 'Fin', add_slot: 'Ajouter le créneau', slot_overlap: 'Ce créneau chevauche un autre créneau du même jour.',
  slot_order: 'La fin doit être après le début.', slots_list: 'Mes créneaux', show_night: 'Afficher les heures de nuit', hours_total: '{h} heures par semaine',
  remove_slot: 'Retirer {day} {start}–{end}',
  pairs_title: 'Mes binômes', no_pairs: 'Pas encore de binôme. Les RH publient les binômes après chaque campagne.',
  pair_title: 'Binôme avec {name}', partner: 'Votre binôme', role_in_pair_mentor: 'Vous accompagnez', role_in_pair_mentee: 'Vous êtes accompagné par',
  skills_to_work: 'Compétences à travailler', shared_slots: 'Vos créneaux communs', your_time: 'Votre heure', partner_time: 'Heure de {name}',
  proposed_slot: 'Rendez-vous hebdomadaire proposé', download_invite: 'Télécharger l’invitation d’agenda', no_slot: 'Aucun créneau commun : convenez-en ensemble.',
  every_week_no: 'Pas toutes les semaines : vérifiez les dates.',
  sessions_title: 'Séances', log_session: 'Déclarer une séance', occurred_at: 'Date et heure', duration: 'Durée (minutes)',
  rating: 'Utilité de la séance (1 à 5)', note: 'Note privée (visible de vous deux seulement)', log: 'Déclarer la séance',
  status_pending: 'En attente du mentor', status_confirmed: 'Confirmée', status_disputed: 'Contestée',
  confirm: 'Confirmer', dispute: 'Contester', dispute_reason: 'Pourquoi ? (obligatoire)', send_dispute: 'Envoyer la contestation',
  session_explain: 'Le manager déclare chaque séance ; le mentor la confirme. Seules les séances confirmées rapportent points et badges.',
  end_title: 'Terminer le binôme', end_help: 'Terminer un binôme qui a au moins une séance confirmée le valide et vous rapporte des points à tous les deux.',
  feedback: 'Retour', end: 'Terminer le binôme', ended: 'Terminé', active: 'Actif', completed: 'Validé',
  history: 'Historique', starts_on: 'Début', ends_on: 'Fin', status: 'État', feedback_from_mentor: 'Mentor', feedback_from_mentee: 'Manager', feedback_from_hr: 'RH',
  ach_title: 'Mes réussites', points: 'Points', level_name: 'Niveau {n} : {name}', next_level: 'Encore {n} points pour {name}',
  top_level: 'Niveau maximal atteint.', badges: 'Badges', next_badges: 'Prochains badges', ledger: 'Relevé des points',
  open_badge: 'Open Badge (vérifiable)', add_linkedin: 'Ajouter à LinkedIn', revoked: 'Révoqué', awarded_on: 'Obtenu le {date}',
  hours_given: 'Heures données', hours_received: 'Heures reçues', rule: 'Règle', date: 'Date', reason: 'Motif', capped: 'plafonné (au lieu de {n})',
  lb_title: 'Classements', lb_mentors: 'Mentors', lb_managers: 'Managers', lb_departments: 'Directions',
  period: 'Période', period_week: 'Cette semaine', period_month: 'Ce mois-ci', period_quarter: 'Ce trimestre', period_all: 'Depuis le début',
  scope: 'Périmètre', scope_company: 'Entreprise', scope_department: 'Ma direction', scope_site: 'Mon site', rank: 'Rang', name: 'Nom',
  my_rank: 'Vous avez {points} points : rang {rank}.', not_on_board: 'Votre nom n’est pas affiché (pas d’accord). Activez-le dans votre profil.',
  no_points: 'Pas encore de points sur cette période.', neighbours: 'Autour de vous', headcount: 'Personnes', hours_per_head: 'Heures par personne',
  lb_consent: 'Seules les personnes qui l’ont accepté apparaissent par leur nom. Les classements de directions comptent les heures de mentorat confirmées de tous.',
  hr_title: 'Campagnes de mise en binôme', new_round: 'Nouvelle campagne', round_name: 'Nom', objective: 'Objectif',
  objective_max_matched_then_score: 'Accompagner le plus de managers possible, puis les meilleurs binômes',
  objective_max_score: 'Les meilleurs binômes, quitte à accompagner moins de managers',
  weights: 'Pondérations', w_skill_gain: 'Gain de compétences', w_cross_department: 'Directions différentes', w_overlap_per_hour: 'Par heure de temps commun',
  w_overlap_cap_hours: 'Temps commun compté jusqu’à (heures)', w_previously_unmatched: 'Manager resté sans binôme la dernière fois',
  session_minutes: 'Durée d’une séance (minutes)', filter_departments: 'Seulement ces directions (séparées par des virgules, facultatif)',
  max_mentors_per_team: 'Au plus ce nombre de mentors d’une même équipe (facultatif)', create_solve: 'Créer et calculer',
  round_status_draft: 'Brouillon', round_status_solving: 'Calcul en cours…', round_status_solved: 'Calculée', round_status_published: 'Publiée',
  round_status_failed: 'Échec', round_status_cancelled: 'Annulée', rounds: 'Campagnes', open: 'Ouvrir',
  review_title: 'Campagne : {name}', matched: '{m} managers sur {n} ont un binôme', solve_time: 'calculée en {ms} ms ({opt})',
  pairs: 'Binômes proposés', mentor: 'Mentor', mentee: 'Manager', score: 'Score', why: 'Pourquoi',
  b_skill_gain: 'compétences {v}', b_cross_department: 'directions {v}', b_overlap: 'temps {v}', b_previously_unmatched: 'attente {v}',
  pin: 'Épingler', unpin: 'Désépingler', forbid: 'Interdire', pinned: 'Épinglé', kept: 'Conservé', pins: 'Binômes épinglés', forbidden: 'Binômes interdits',
  resolve: 'Recalculer', publish: 'Publier', publish_confirm: 'Publier cette campagne ? Les binômes se verront.', unmatched: 'Managers sans binôme',
  reason_no_candidate: 'Aucun mentor ne respecte les règles', reason_candidates_taken: 'Les mentors possibles sont pris par d’autres',
  rc_language: 'pas de langue commune', rc_skill: 'aucune compétence au-dessus de la sienne', rc_availability: 'pas de temps commun', rc_reporting_line: 'même ligne hiérarchique',
  rc_history: 'déjà en binôme', rc_forbidden: 'interdit par les RH', changes: 'Changements depuis le dernier calcul : {added} nouveaux, {removed} disparus',
  warnings: 'Avertissements', add_pin_form: 'Épingler ou interdire un binôme par identifiants', mentor_id: 'Id du mentor', mentee_id: 'Id du manager',
  emp_title: 'Salariés', filters: 'Filtres', any: 'Tous', apply: 'Appliquer', more: 'Voir plus', id: 'Id',
  dash_title: 'Tableau de bord du programme', participation: 'Participation (managers en binôme / inscrits)', hours_by_dept: 'Heures de mentorat données',
  sessions_by_period: 'Séances confirmées par période', stalled: 'Binômes à l’arrêt', export_csv: 'Exporter en CSV', active_pairs: 'Binômes actifs',
  sessions_given: 'Séances', avg_rating: 'Note moyenne', chart_table: 'Données du graphique',
  badges_title: 'Badges', badge_slug: 'Identifiant (a-z, 0-9, _)', badge_name: 'Nom', badge_desc: 'Description', badge_criteria: 'Critères en mots',
  badge_role: 'Pour', badge_role_mentor: 'Mentors', badge_role_mentee: 'Managers', badge_role_any: 'Tous', badge_min: 'Séances confirmées nécessaires',
  badge_color: 'Couleur', create: 'Créer',
  wh_title: 'Webhooks', wh_event: 'Événement', wh_url: 'URL', wh_secret: 'Secret (pour la signature)', wh_deliveries: 'Livrés / en attente / échoués', delete: 'Supprimer',
};

export const dictionaries = { en, fr };

function initialLang() {
  const saved = localStorage.getItem('tandem.lang');
  if (saved === 'en' || saved === 'fr') return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const code = l.slice(0, 2).toLowerCase();
    if (code === 'fr' || code === 'en') return code;
  }
  return 'en';
}

let lang = initialLang();
const listeners = new Set();

export function getLang() { return lang; }
export function setLang(l) {
  lang = l;
  localStorage.setItem('tandem.lang', l);
  document.documentElement.lang = l;
  listeners.forEach((f) => f(l));
}
export function onLang(f) { listeners.add(f); return () => listeners.delete(f); }
document.documentElement.lang = lang;

// Translates key with {name} parameters; a missing key shows itself (caught by the tests).
export function t(key, params) {
  let s = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
  if (params) for (const k in params) s = s.replaceAll(`{${k}}`, params[k]);
  return s;
}

const locale = () => (lang === 'fr' ? 'fr-FR' : 'en-GB');
export const fmtNumber = (n, digits = 0) => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
export const fmtPercent = (n) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(n);
export const fmtDate = (iso) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso));
export const fmtDateTime = (iso) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
// "HH:MM" of the API shown in the locale's clock (24 h in both, but through Intl).
export const fmtClock = (hhmm) => {
  if (hhmm === '24:00') return lang === 'fr' ? '24:00' : '24:00';
  const [h, m] = hhmm.split(':').map(Number);
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' })
    .format(new Date(Date.UTC(2024, 0, 1, h, m)));
};
export const dayName = (d) => t('day_' + d);
