@dataflow:crmoffice-to-business-central @checklist:contacts-to-contacts
Feature: CRMOffice contacts are kept as Business Central person contacts
  Checklist section "CRMOffice Contacts to Business Central Contacts (human data)":
  every CRMOffice contact is synchronised with a Business Central contact, and once they are linked
  the checklist's properties (directPhone ↔ phoneNumber, mobilePhone ↔ mobilePhoneNumber) stay in sync
  whichever side is edited.

  Rule: every contact has exactly one Business Central person contact

    @rule:1 @severity:blocker
    Scenario: a new contact reaches Business Central once, however often the sync runs
      Given a CRMOffice contact
      When the sync has run 3 times
      Then Business Central holds exactly one person contact for it

    @rule:1 @severity:critical
    Scenario: every contact of a busy day gets its own Business Central contact
      Given 30 CRMOffice contacts with a value in every mapped property
      When the sync runs
      And the sync runs again
      Then each of them has exactly one person contact in Business Central

    @rule:1 @rule:3 @severity:critical
    Scenario: a contact linked to a company stays a person contact
      Given a CRMOffice company
      And a CRMOffice contact who works there
      When the sync runs
      Then Business Central holds exactly one person contact for it

    @rule:1 @severity:critical @cycles:4
    Scenario: a contact edited long after it was linked still has one Business Central contact
      Given a contact linked to a Business Central contact
      And 5 more contacts have been linked since
      When a CRMOffice user changes the contact's mobilePhone
      And the sync runs
      Then Business Central holds exactly one person contact for it
      And the Business Central contact's mobilePhoneNumber is the new mobilePhone

  Rule: Business Central gets the name it requires when the contact is created, and only then

    @rule:2 @severity:critical
    Scenario: the new Business Central contact is a person named after the CRMOffice contact
      Given a CRMOffice contact
      When the sync runs
      Then its Business Central contact is a person whose display name is the contact's given and family name

    @rule:2 @rule:3 @severity:normal
    Scenario: renaming a linked contact in CRMOffice does not rename its Business Central contact
      Given a contact linked to a Business Central contact
      When a CRMOffice user renames the contact
      And the sync runs
      Then the Business Central contact keeps the name it was created with

  Rule: the checklist's properties mirror both ways, and nothing else is written

    @rule:3 @severity:blocker
    Scenario Outline: a new contact's <crmoffice property> arrives as its <businesscentral property>
      Given a CRMOffice contact with a <crmoffice property>
      When the sync runs
      Then its Business Central contact's <businesscentral property> is that <crmoffice property>

      @to_businesscentral
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

    @rule:3 @rule:8 @severity:blocker
    Scenario Outline: an edit of <crmoffice property> in CRMOffice reaches <businesscentral property> in Business Central
      Given a contact linked to a Business Central contact
      When a CRMOffice user changes the contact's <crmoffice property>
      And the sync runs
      Then the Business Central contact's <businesscentral property> is the new <crmoffice property>
      And the CRMOffice contact still has the new <crmoffice property>
      And nothing else has changed on the Business Central contact

      @to_businesscentral
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

    @rule:3 @rule:8 @severity:blocker
    Scenario Outline: an edit of <businesscentral property> in Business Central reaches <crmoffice property> in CRMOffice
      Given a contact linked to a Business Central contact
      When a Business Central user changes the contact's <businesscentral property>
      And the sync runs
      Then the CRMOffice contact's <crmoffice property> is the new <businesscentral property>
      And the Business Central contact still has the new <businesscentral property>
      And nothing else has changed on the CRMOffice contact

      @to_crmoffice
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

    @rule:3 @severity:critical
    Scenario: a detail the checklist does not map, edited in CRMOffice, stays in CRMOffice
      Given a contact linked to a Business Central contact
      When a CRMOffice user changes a detail of the contact that the checklist does not map
      And the sync runs
      Then nothing has changed on the Business Central contact

    @rule:3 @severity:critical
    Scenario: a detail the checklist does not map, edited in Business Central, stays in Business Central
      Given a contact linked to a Business Central contact
      When a Business Central user changes a detail of the contact that the checklist does not map
      And the sync runs
      Then nothing has changed on the CRMOffice contact

  Rule: when both sides changed the same property, the later edit wins

    @rule:4 @severity:critical @cycles:4
    Scenario Outline: CRMOffice's later edit of <crmoffice property> wins over Business Central's earlier one
      Given a contact linked to a Business Central contact
      When a Business Central user changes the contact's <businesscentral property>
      And a minute later a CRMOffice user changes the contact's <crmoffice property>
      And the sync runs
      Then both sides show CRMOffice's new value for <crmoffice property> ↔ <businesscentral property>
      And the sync reports that CRMOffice's edit won because it came later

      @to_businesscentral
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

    @rule:4 @severity:critical @cycles:4
    Scenario Outline: Business Central's later edit of <businesscentral property> wins over CRMOffice's earlier one
      Given a contact linked to a Business Central contact
      When a CRMOffice user changes the contact's <crmoffice property>
      And a minute later a Business Central user changes the contact's <businesscentral property>
      And the sync runs
      Then both sides show Business Central's new value for <crmoffice property> ↔ <businesscentral property>
      And the sync reports that Business Central's edit won because it came later

      @to_crmoffice
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

    @rule:4 @rule:8 @severity:normal @cycles:4
    Scenario: a value the sync wrote is the settled one, so a later edit of it is no conflict
      Given a contact linked to a Business Central contact
      When a CRMOffice user changes the contact's directPhone
      And the sync runs
      And a CRMOffice user changes the contact's directPhone
      And a minute later a Business Central user changes a detail of the contact that the checklist does not map
      And the sync runs
      Then both sides show CRMOffice's new value for directPhone ↔ phoneNumber

    @rule:4 @rule:8 @severity:normal @cycles:5
    Scenario: values typed the same on both sides are settled, so a later edit is no conflict
      Given a contact linked to a Business Central contact
      When users of both systems give the contact the same new value in every mapped property
      And the sync runs
      Then the sync wrote nothing to either system
      When a CRMOffice user changes the contact's directPhone
      And a minute later a Business Central user changes a detail of the contact that the checklist does not map
      And the sync runs
      Then both sides show CRMOffice's new value for directPhone ↔ phoneNumber

    @rule:4 @severity:normal @fakes_only
    Scenario: edits at the very same moment are settled in favour of CRMOffice, where the dataflow starts
      Given a contact linked to a Business Central contact
      When users of both systems change the contact's direct phone at the same moment
      And the sync runs
      Then both sides show CRMOffice's new value for directPhone ↔ phoneNumber
      And the sync reports that CRMOffice's edit won because it came at the same moment

  Rule: an emptied value never empties the other side

    @rule:5 @severity:critical
    Scenario Outline: clearing <crmoffice property> in CRMOffice leaves <businesscentral property> in Business Central
      Given a contact linked to a Business Central contact
      When a CRMOffice user clears the contact's <crmoffice property>
      And the sync runs
      Then the Business Central contact still has its <businesscentral property>
      And the CRMOffice contact's <crmoffice property> stays empty

      @to_businesscentral
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

    @rule:5 @severity:critical
    Scenario Outline: clearing <businesscentral property> in Business Central leaves <crmoffice property> in CRMOffice
      Given a contact linked to a Business Central contact
      When a Business Central user clears the contact's <businesscentral property>
      And the sync runs
      Then the CRMOffice contact still has its <crmoffice property>
      And the Business Central contact's <businesscentral property> stays empty

      @to_crmoffice
      Examples: checklist rows
        | crmoffice property | businesscentral property |
        | directPhone        | phoneNumber              |
        | mobilePhone        | mobilePhoneNumber        |

  Rule: deletes do not propagate; a deleted Business Central contact comes back

    @rule:6 @severity:critical @cycles:12
    Scenario: a Business Central contact deleted by a user is created again from CRMOffice
      Given a contact linked to a Business Central contact
      When a Business Central user deletes the contact
      And the full sync runs
      Then Business Central holds exactly one person contact for it
      And that contact has the CRMOffice contact's value in every mapped property

    @rule:6 @severity:critical
    Scenario: a contact edited after its Business Central contact was deleted gets a new one
      Given a contact linked to a Business Central contact
      When a Business Central user deletes the contact
      And a CRMOffice user changes the contact's directPhone
      And the sync runs
      Then Business Central holds exactly one person contact for it
      And that contact has the CRMOffice contact's value in every mapped property

    @rule:6 @severity:critical @cycles:24
    Scenario: a contact deleted in CRMOffice leaves its Business Central contact alone
      Given a contact linked to a Business Central contact
      When a CRMOffice user deletes the contact
      And the full sync runs
      Then the Business Central contact is still there, unchanged
      And the sync reports the contact's link as retired, its counterpart left alone
      And CRMOffice does not get the contact back
      When the full sync runs again
      Then the sync wrote nothing to either system

    @rule:6 @severity:normal @cycles:13
    Scenario: a contact deleted on both sides stays deleted, and its link is retired
      Given a contact linked to a Business Central contact
      When a Business Central user deletes the contact
      And a CRMOffice user deletes the contact
      And the full sync runs
      Then Business Central does not get the contact back
      And CRMOffice does not get the contact back
      And the sync reports the contact's link as retired, its counterpart left alone

    @rule:6 @severity:normal @cycles:14
    Scenario: a Business Central contact edited after its CRMOffice contact was deleted stays in Business Central
      Given a contact linked to a Business Central contact
      When a CRMOffice user deletes the contact
      And the full sync runs
      And a Business Central user changes the contact's phoneNumber
      And the sync runs
      Then CRMOffice does not get the contact back
      And the sync wrote nothing to either system

  Rule: contacts created in Business Central stay in Business Central

    @rule:7 @severity:critical @cycles:10
    Scenario: a person contact created in Business Central is not copied to CRMOffice
      Given a person contact created by a Business Central user
      When the full sync runs
      Then CRMOffice has no contact of that name
      And the Business Central contact is left as its user made it

  Rule: the sync's own writes never come back as edits

    @rule:8 @severity:critical
    Scenario: a second sync with no edits in between writes nothing
      Given 5 CRMOffice contacts with a value in every mapped property
      And the sync has run
      When the sync runs again
      Then the sync wrote nothing to either system
      And no CRMOffice contact has been written to since its user created it

  Rule: a sync cycle costs what changed, not what is there

    @rule:11 @severity:critical @one_cycle @cycles:13
    Scenario Outline: with many contacts linked, a quiet cycle reads almost nothing and an edit in <system> costs one write
      Given a contact linked to a Business Central contact
      And 100 more contacts have been linked since
      And the sync has run
      When the sync runs again
      Then the sync read no more than 2 records and made no more than 2 requests in either system
      And the sync wrote nothing to either system
      When a <system> user changes the contact's <property>
      And the sync runs
      Then the sync read no more than 3 records and made no more than <crm requests> requests to CRMOffice and <bc requests> to Business Central
      And the sync wrote one record to <other> and none to <system>
      When a <other> user changes the contact's <other property>
      And the sync runs
      Then the sync read no more than 3 records and made no more than <crm requests after> requests to CRMOffice and <bc requests after> to Business Central
      And the sync wrote one record to <system> and none to <other>

      # A CRMOffice edit costs CRMOffice 4 requests and Business Central 5; a Business Central edit 6 and 4.
      Examples:
        | system           | property    | other            | other property    | crm requests | bc requests | crm requests after | bc requests after |
        | CRMOffice        | directPhone | Business Central | mobilePhoneNumber | 4            | 5           | 6                  | 4                 |
        | Business Central | phoneNumber | CRMOffice        | mobilePhone       | 6            | 4           | 4                  | 5                 |
