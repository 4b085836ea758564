/**
 * Name pools of the synthetic generator. Names are common ones, combined at random: no combination
 * designates a real person on purpose. Pools are grouped by origin so that a first name and a surname
 * look plausible together, and they deliberately carry what real files carry: accents (Lefèvre, Éloïse,
 * Nguyễn), apostrophes (N'Diaye), particles and spaces (Da Silva, Le Goff), hyphens (Ould-Ahmed,
 * Jean-Baptiste), and letters outside Latin-1 (Đặng, Yılmaz, Wiśniewska).
 */

export interface NameGroup {
  key: string;
  /** Share of applicants whose names come from this group. */
  weight: number;
  surnames: readonly string[];
  female: readonly string[];
  male: readonly string[];
  /** Nationality codes (1 French, 2 EU, 3 non-EU) and their weights within the group. */
  nationalites: ReadonlyArray<readonly [string, number]>;
}

export const nameGroups: readonly NameGroup[] = [
  {
    key: 'fr',
    weight: 64,
    surnames: [
      'Martin', 'Bernard', 'Lefèvre', 'Dubois', 'Moreau', 'Laurent', 'Girard', 'Rousseau', 'Mercier',
      'Fontaine', 'Chevalier', 'Guérin', 'Benoît', 'Gauthier', 'Lemaître', 'Texier', 'Boucher', 'Delaunay',
      'Robin', 'Besnard', 'Ménard', 'Jouan', 'Gaudin', 'Lecomte', 'Faure', 'Noël', 'Hébert', 'Pâris',
      'Legrand', 'Bréhier', 'Dupont', 'Leroy', 'Fournier', 'Lambert', 'Bonnet', 'Clément', 'Garnier',
      'Rolland', 'Perrin', 'Morel', 'Després', 'Barré', 'Hérault', 'Léger', 'Prévost', 'Thébault',
    ],
    female: [
      'Éloïse', 'Gaëlle', 'Léa', 'Chloé', 'Zoé', 'Maëlys', 'Anaïs', 'Hélène', 'Noémie', 'Céline', 'Sophie',
      'Marie-Claire', 'Anne-Sophie', 'Agnès', 'Françoise', 'Josiane', 'Mélanie', 'Aurélie', 'Gwenaëlle',
      'Nolwenn', 'Clémence', 'Maïwenn', 'Laëtitia', 'Émilie', 'Sandrine', 'Nathalie', 'Valérie', 'Brigitte',
      'Geneviève', 'Solène', 'Manon', 'Camille', 'Julie', 'Océane', 'Marie-Thérèse', 'Dominique',
    ],
    male: [
      'Benoît', 'Jérôme', 'Loïc', 'Gaël', 'Théo', 'Noé', 'Mathéo', 'Jean-Pierre', 'Jean-Baptiste', 'François',
      'Hervé', 'Stéphane', 'Cédric', 'Joël', 'Rémi', 'Aurélien', 'Yannick', 'Erwan', 'Gwénolé', 'Maël',
      'Kévin', 'Mickaël', 'Frédéric', 'Thierry', 'Pascal', 'Régis', 'André', 'Lucas', 'Hugo', 'Raphaël',
      'Jean-Toussaint', 'Paul-Antoine', 'Dominique', 'Sébastien', 'Grégory', 'Anthony',
    ],
    nationalites: [['1', 99], ['2', 1]],
  },
  {
    key: 'maghreb',
    weight: 12,
    surnames: [
      'Benali', 'Ben Ali', 'Haddad', 'Mansouri', 'Belkacem', 'Bouzid', 'Amrani', 'El Amrani', 'Ould-Ahmed',
      'Chérif', 'Boukhari', 'Saïdi', 'Zitouni', 'Benmoussa', 'Hamidi', 'Aït Ouali', 'El Idrissi',
    ],
    female: ['Fatima', 'Aïcha', 'Nadia', 'Yasmine', 'Inès', 'Samira', 'Leïla', 'Khadija', 'Myriam', 'Nour', 'Salima', 'Souad', 'Fatima-Zahra'],
    male: ['Mohamed', 'Karim', 'Yanis', 'Rachid', 'Mehdi', 'Nassim', 'Sofiane', 'Ayoub', 'Bilal', 'Hocine', 'Saïd', 'Mourad', 'Abdel-Kader'],
    nationalites: [['1', 55], ['3', 45]],
  },
  {
    key: 'afrique-ouest',
    weight: 8,
    surnames: ["N'Diaye", 'Diallo', 'Traoré', 'Camara', 'Koné', 'Sow', 'Diop', 'Ba', 'Cissé', 'Sylla', 'Keïta', 'Coulibaly', "N'Guessan", 'Touré'],
    female: ['Fatoumata', 'Aminata', 'Mariam', 'Awa', 'Kadiatou', 'Aïssatou', 'Binta', 'Ramatoulaye', 'Adjoa'],
    male: ['Mamadou', 'Ibrahima', 'Moussa', 'Ousmane', 'Abdoulaye', 'Souleymane', 'Cheikh', 'Boubacar', 'Kouassi'],
    nationalites: [['1', 40], ['3', 60]],
  },
  {
    key: 'vietnam',
    weight: 3,
    surnames: ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Võ', 'Đặng', 'Huỳnh', 'Nguyen', 'Tran'],
    female: ['Thị Lan', 'Thu Hương', 'Mai', 'Ngọc Anh', 'Linh', 'Thị Hồng'],
    male: ['Văn Minh', 'Quang Huy', 'Đức Anh', 'Tuấn', 'Bảo', 'Văn Long'],
    nationalites: [['1', 60], ['3', 40]],
  },
  {
    key: 'iberique',
    weight: 5,
    surnames: ['Da Silva', 'Dos Santos', 'De Oliveira', 'Ferreira', 'Pereira', 'Rodrigues', 'Gonçalves', 'Fernandes', 'Lopes', 'García', 'Martínez', 'Da Costa'],
    female: ['Inês', 'Sónia', 'Ana Maria', 'Conceição', 'Lúcia', 'Carla', 'María José'],
    male: ['João', 'José', 'António', 'Luís', 'Rui', 'Paulo', 'Joaquín'],
    nationalites: [['1', 50], ['2', 50]],
  },
  {
    key: 'europe-est',
    weight: 4,
    surnames: ['Müller', 'Kowalski', 'Nowak', 'Wiśniewska', 'Schmitt', 'Popescu', 'Ionescu', 'Petrović', 'Horváth', 'Kovačević', 'Dvořák'],
    female: ['Ioana', 'Agnieszka', 'Jelena', 'Katarzyna', 'Zsófia', 'Elena', 'Małgorzata'],
    male: ['Andrei', 'Piotr', 'Marek', 'Dragan', 'Stefan', 'Bogdan', 'Łukasz'],
    nationalites: [['2', 70], ['1', 20], ['3', 10]],
  },
  {
    key: 'turquie',
    weight: 4,
    surnames: ['Yılmaz', 'Kaya', 'Demir', 'Öztürk', 'Aydın', 'Çelik', 'Şahin'],
    female: ['Elif', 'Zeynep', 'Ayşe', 'Büşra', 'Gül'],
    male: ['Mehmet', 'Emre', 'Burak', 'Hüseyin', 'Oğuz'],
    nationalites: [['1', 50], ['3', 50]],
  },
];

/** Job titles by contract family (gender-neutral forms, as a desk would type them). */
export const professions = {
  emploi: [
    "agent d'entretien", 'aide-soignant', 'employé de commerce', 'cariste', 'agent de sécurité', 'cuisinier',
    'auxiliaire de vie', 'préparateur de commandes', 'chauffeur livreur', 'agent administratif',
    'serveur', 'ouvrier du bâtiment', 'assistant maternel', 'technicien de maintenance', 'caissier',
    'agent de restauration', 'infirmier', 'animateur périscolaire', 'magasinier', 'secrétaire médical',
  ],
  apprenti: ['apprenti boulanger', 'apprenti coiffeur', 'apprenti électricien', 'apprenti cuisinier'],
  independant: ['chauffeur VTC', 'artisan plombier', 'commerçant', 'coiffeur à domicile', 'auto-entrepreneur livraison'],
  fonctionnaire: ['adjoint administratif', 'agent des finances publiques', 'aide-soignant hospitalier', 'gardien de la paix'],
} as const;

/** Employers: invented names built from regional words, so none is meant to be a real company. */
export const employerParts = {
  head: ['Nettoyage', 'Transports', 'Restauration', 'Services à domicile', 'Logistique', 'Bâtiment', 'Propreté', 'Distribution', 'Maintenance', 'Sécurité'],
  tail: ["de l'Ouest", 'des Deux Rives', 'du Bassin', 'Horizon', 'Atlantique', 'Solidaire', 'et Fils', 'Plus', 'Services', 'Avenir'],
  publicState: ['Administration de l’État, service départemental', 'Centre hospitalier universitaire', 'Établissement public de l’État'],
} as const;

/** Free texts of motif 23 ("autre"): short, personal, never logged. */
export const precisionTexts: readonly string[] = [
  "Logement au 4e étage sans ascenseur, difficile avec la poussette",
  "Souhaite se rapprocher de l'école des enfants",
  'Humidité importante dans la chambre depuis l’hiver',
  'Fin du bail étudiant en juin',
  'Besoin d’un rez-de-chaussée pour raisons de mobilité',
  'Trajet domicile-travail de plus d’une heure',
  'Le propriétaire ne fait pas les réparations',
  'Bruit de voisinage très important la nuit',
  'Hébergée chez une amie, doit partir rapidement',
  'Souhaite un logement avec jardin pour le chien',
  'Chauffage électrique trop coûteux',
  'Retour en France après plusieurs années à l’étranger',
  'Besoin d’une place de stationnement pour le véhicule de travail',
  'Veut quitter la colocation',
  'Logement trop éloigné des commerces',
];
